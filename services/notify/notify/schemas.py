"""Request and response shapes of the notify API."""
from marshmallow import Schema, ValidationError, fields, validate

from wangge_common.schemas import ChangeFeedArgs, PageArgs

from . import domain


class NotificationOut(Schema):
    id = fields.String(metadata={"example": "99990000-0000-4000-8000-000000000001"})
    case_id = fields.String(allow_none=True)
    recipient_ref = fields.String(metadata={"example": "rp_3f9a2c71"})
    audience = fields.String(metadata={"example": "reporter"})
    channel = fields.String(metadata={"example": "inbox"})
    template = fields.String(metadata={"example": "case.registered/reporter"})
    body = fields.String(metadata={"example": "您反映的问题已受理，受理编号WG7K3M9Q2P。"})
    state = fields.String(metadata={"example": "sent"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime(metadata={"description": "when the message last changed (?updated_since=)"})


class NotificationQuery(PageArgs, ChangeFeedArgs):
    recipient = fields.String(validate=validate.Length(1, 64), metadata={"description": "recipient reference"})
    case_id = fields.UUID()


class DeliveryOut(NotificationOut):
    cause_event_id = fields.String()
    event_type = fields.String(metadata={"example": "case.registered"})
    template_version = fields.Integer(metadata={"description": "0 = the built-in text"})
    urgent = fields.Boolean()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True, metadata={"example": "SMS gateway answered 503"})
    held_reason = fields.String(allow_none=True, metadata={"description": "quiet_hours or daily_cap while held"})
    next_attempt_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class DeliveryQuery(PageArgs):
    state = fields.String(validate=validate.OneOf(domain.STATES))
    channel = fields.String(validate=validate.OneOf(domain.CHANNELS))
    audience = fields.String(validate=validate.OneOf(domain.AUDIENCES + ("integrator",)))
    recipient = fields.String(validate=validate.Length(1, 64))
    case_id = fields.UUID()
    cause_event_id = fields.UUID()
    event_type = fields.String(validate=validate.Length(1, 100))


class TemplateIn(Schema):
    body = fields.String(required=True, validate=validate.Length(1, 2000),
                         metadata={"example": "您反映的问题已受理，受理编号{{ tracking_code }}。"})
    reason = fields.String(load_default=None, validate=validate.Length(1, 200),
                           metadata={"example": "统一措辞"})


class TemplateVersionOut(Schema):
    version = fields.Integer()
    body = fields.String()
    reason = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime(allow_none=True)


class TemplateOut(Schema):
    key = fields.String(metadata={"example": "case.registered/reporter"})
    title = fields.String(metadata={"example": "问题已受理"})
    variables = fields.Dict(metadata={"description": "variables the template may use, with sample values"})
    version = fields.Integer(metadata={"description": "the version in use; 0 = built-in"})
    body = fields.String()
    versions = fields.List(fields.Nested(TemplateVersionOut))


class RecipientIn(Schema):
    audience = fields.String(required=True, validate=validate.OneOf(("department", "congress_staff")))
    department_code = fields.String(load_default=None, validate=validate.Length(1, 64),
                                    metadata={"example": "town-construction"})
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "镇村镇建设办"})
    email = fields.Email(required=True, metadata={"example": "jsb@town.example.gov.cn"})


class RecipientPatch(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    email = fields.Email()
    active = fields.Boolean()


class RecipientOut(Schema):
    id = fields.String()
    audience = fields.String()
    department_code = fields.String(allow_none=True)
    name = fields.String()
    email = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()


class RecipientQuery(PageArgs):
    audience = fields.String(validate=validate.OneOf(("department", "congress_staff")))
    department_code = fields.String(validate=validate.Length(1, 64))


def _event_types(patterns):
    from wangge_common import contracts

    known = {t for t, _ in contracts.registry()}
    bad = [p for p in patterns if not (p == "*" or p in known or (p.endswith(".*") and
                                                                  any(t.startswith(p[:-1]) for t in known)))]
    if bad:
        raise ValidationError(f"unknown event types: {', '.join(bad)}")


class WebhookIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "综治中心平台"})
    url = fields.Url(required=True, require_tld=False, schemes={"http", "https"},
                     metadata={"example": "https://zongzhi.example.gov.cn/hooks/wangge"})
    event_types = fields.List(fields.String(validate=validate.Length(1, 100)), required=True,
                              validate=[validate.Length(1, 100), _event_types],
                              metadata={"example": ["case.registered", "case.closed", "work_order.*"]})
    secret = fields.String(load_default=None, validate=validate.Length(16, 200),
                           metadata={"description": "HMAC key; generated when omitted and shown once"})


class WebhookPatch(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    url = fields.Url(require_tld=False, schemes={"http", "https"})
    event_types = fields.List(fields.String(validate=validate.Length(1, 100)),
                              validate=[validate.Length(1, 100), _event_types])
    status = fields.String(validate=validate.OneOf(("active", "disabled")),
                           metadata={"description": "set active to re-enable after the failures are fixed"})


class WebhookOut(Schema):
    id = fields.String()
    name = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    status = fields.String(metadata={"example": "active"})
    consecutive_failures = fields.Integer()
    disabled_reason = fields.String(allow_none=True)
    disabled_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    signature_header = fields.Constant("X-Wangge-Signature",
                                       metadata={"description": "sha256=<hex HMAC-SHA256 of the raw body>"})


class WebhookCreatedOut(WebhookOut):
    secret = fields.String(metadata={"description": "the HMAC key; shown only in the answer to the creation"})


class ReceptionOut(Schema):
    id = fields.String()
    grid_id = fields.String(allow_none=True)
    station_id = fields.String(allow_none=True)
    place = fields.String(metadata={"example": "韶山村代表联络站"})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String(metadata={"example": "scheduled"})
    reason = fields.String(allow_none=True)
    deputy_count = fields.Integer()
    short_notice = fields.Boolean(metadata={"description": "announced less than 3 days before it starts"})


class ResultOut(Schema):
    tracking_code = fields.String(metadata={"example": "WG7K3M9Q2P"})
    category = fields.String(allow_none=True)
    topic = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    outcome = fields.String(metadata={"example": "satisfied"})
    closed_at = fields.DateTime()


class BoardProjectOut(Schema):
    project_id = fields.String()
    code = fields.String(metadata={"example": "MS7Q2KXA"})
    title = fields.String(metadata={"example": "第一村民小组路灯安装"})
    result = fields.String()
    funded_yuan = fields.Integer(allow_none=True)
    completed_at = fields.DateTime()


class BoardOut(Schema):
    scope = fields.String(metadata={"example": "grid"})
    id = fields.String()
    name = fields.String(metadata={"example": "韶山村网格"})
    address = fields.String(allow_none=True, metadata={"description": "a liaison station's address"})
    receptions = fields.List(fields.Nested(ReceptionOut))
    results = fields.List(fields.Nested(ResultOut))
    projects = fields.List(fields.Nested(BoardProjectOut),
                           metadata={"description": "completed micro livelihood projects (民生微实事) of the grids"})
    generated_at = fields.DateTime()
