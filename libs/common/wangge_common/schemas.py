"""Request and response shapes every service's API shares."""
from marshmallow import Schema, fields, validate

from .paging import ChangeFeedArgs, PageArgs, page_of

__all__ = ["ChangeFeedArgs", "PageArgs", "page_of"]


# --- reconciliation (`wangge reconcile`): what each service holds of a period's cases, over its own API -------------
RECONCILE_BATCH = 2000


class ReconcilePeriod(Schema):
    """?since=…&until=… (accepted at, UTC) with offset paging, for the ids of the cases a period accepted."""

    since = fields.AwareDateTime(required=True, default_timezone=None)
    until = fields.AwareDateTime(required=True, default_timezone=None)
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=5000, validate=validate.Range(1, 10000))


class ReconcileCaseIds(Schema):
    """The ids of a period's cases, oldest first; `next_offset` is null on the last page."""

    case_ids = fields.List(fields.String())
    next_offset = fields.Integer(allow_none=True)


class ReconcileCasesIn(Schema):
    """Which of these cases do you hold, and how (at most RECONCILE_BATCH ids a call)?"""

    case_ids = fields.List(fields.String(validate=validate.Length(1, 36)), required=True,
                           validate=validate.Length(1, RECONCILE_BATCH))


class ReconcileCasesOut(Schema):
    """Per case id this service holds: what it holds of it (service-specific counts); unknown ids are absent."""

    cases = fields.Dict(keys=fields.String(), values=fields.Dict())
