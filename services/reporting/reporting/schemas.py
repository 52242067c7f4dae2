"""Request and response shapes of the reporting API."""
import json

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wangge_common.inputs import INT64_MAX
from wangge_common.paging import PageArgs

from . import domain

PERIOD = validate.Regexp(domain.PERIOD, error="must be YYYY or YYYY-MM")
HEX = validate.Regexp(r"^[0-9a-f]*$")
FORMAT = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]),
                       metadata={"description": "json (default), csv or xlsx: every table can be downloaded"})


class AuditEntryOut(Schema):
    seq = fields.Integer(metadata={"example": 42})
    event_id = fields.String()
    topic = fields.String(metadata={"example": "cases.v1"})
    partition = fields.Integer()
    offset = fields.Integer()
    event_type = fields.String(metadata={"example": "case.closed"})
    source = fields.String()
    subject = fields.String()
    event_time = fields.String()
    prev_hash = fields.String()
    hash = fields.String()
    event = fields.Method("_event", metadata={"description": "the CloudEvents envelope as received"})

    def _event(self, entry) -> dict:
        return json.loads(entry.payload)


class AuditQuery(PageArgs):
    subject = fields.String(validate=validate.Length(1, 200), metadata={"description": "e.g. a case id"})
    type = fields.String(data_key="type", validate=validate.Length(1, 100), metadata={"example": "case.closed"})
    since = fields.DateTime(metadata={"description": "event time from (inclusive), ISO 8601"})
    until = fields.DateTime(metadata={"description": "event time until (exclusive), ISO 8601"})
    after_seq = fields.Integer(load_default=0, validate=validate.Range(0, INT64_MAX),
                               metadata={"description": "only entries after this log position"})


class BadPosition(Schema):
    seq = fields.Integer(allow_none=True, metadata={"description": "first log position that fails"})
    reason = fields.String()


class VerifyOut(Schema):
    valid = fields.Boolean()
    entries = fields.Integer()
    first_bad = fields.Nested(BadPosition, allow_none=True)
    root_hash = fields.String(allow_none=True, metadata={"description": "recomputed Merkle root (hex) when valid"})


class InclusionQuery(Schema):
    event_id = fields.String(validate=validate.Length(1, 100))
    seq = fields.Integer(validate=validate.Range(min=1))
    tree_size = fields.Integer(validate=validate.Range(min=1), metadata={"description": "default: the log now"})

    @validates_schema
    def _one_of(self, data, **_):
        if ("event_id" in data) == ("seq" in data):
            raise ValidationError("give exactly one of event_id and seq", "event_id")


class InclusionOut(Schema):
    seq = fields.Integer()
    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    event_id = fields.String()
    entry = fields.String(metadata={"description": "base64 of the canonical entry bytes the leaf hashes"})
    leaf_hash = fields.String()
    root_hash = fields.String()
    audit_path = fields.List(fields.String(), metadata={"description": "RFC 9162 inclusion path, hex"})


class ConsistencyQuery(Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=1))
    second = fields.Integer(validate=validate.Range(min=1), metadata={"description": "default: the log now"})


class ConsistencyOut(Schema):
    first = fields.Integer()
    second = fields.Integer()
    first_root = fields.String()
    second_root = fields.String()
    proof = fields.List(fields.String(), metadata={"description": "RFC 9162 consistency path, hex"})


class CheckpointOut(Schema):
    tree_size = fields.Integer()
    root_hash = fields.String()
    signed_at = fields.String()
    public_key = fields.String(metadata={"description": "Ed25519 public key, hex"})
    signature = fields.String(metadata={"description": "Ed25519 signature over "
                                        "'wangge-audit-checkpoint/v1\\n{tree_size}\\n{root_hash}\\n{signed_at}\\n'"})


class PeriodQuery(Schema):
    period = fields.String(validate=PERIOD, metadata={"example": "2026-11"})


class KpiItem(Schema):
    name = fields.String(metadata={"example": "closure_rate"})
    title = fields.String(metadata={"example": "办结率"})
    value = fields.Float(allow_none=True)
    target = fields.Float(allow_none=True)
    higher_is_better = fields.Boolean()
    meets = fields.Boolean(allow_none=True)


class KpiOut(Schema):
    period = fields.String(allow_none=True)
    cases_total = fields.Integer()
    cases_by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    figures = fields.Dict(metadata={"description": "the counts and rates behind the KPIs"})
    kpis = fields.List(fields.Nested(KpiItem))


class SliceQuery(PeriodQuery):
    dimension = fields.String(load_default="all", validate=validate.OneOf(list(domain.DIMENSIONS)))
    format = FORMAT


class SliceOut(Schema):
    key = fields.String(allow_none=True)
    label = fields.String()
    code = fields.String(allow_none=True, metadata={"description": "the grid's code (grid and township slices)"})
    cases = fields.Integer()
    closed = fields.Integer()
    on_time_closed = fields.Integer()
    answered = fields.Integer()
    replied = fields.Integer()
    reopened = fields.Integer()
    rated = fields.Integer()
    satisfied = fields.Integer()
    basically_satisfied = fields.Integer()
    unsatisfied = fields.Integer()
    unrated = fields.Integer(metadata={"description": "never counted as satisfied"})
    closure_rate = fields.Float(allow_none=True)
    on_time_closure_rate = fields.Float(allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True)
    reopen_rate = fields.Float(allow_none=True)
    answer_rate = fields.Float(allow_none=True)
    avg_handling_hours = fields.Float(allow_none=True)
    p90_handling_hours = fields.Float(allow_none=True)
    meets = fields.Dict(keys=fields.String(), values=fields.Boolean(allow_none=True))


class MissQuery(PeriodQuery, PageArgs):
    kpi = fields.String(required=True, validate=validate.OneOf(["closure_rate", "on_time_closure_rate",
                                                                 "satisfaction_rate", "unrated", "reopen_rate",
                                                                 "answer_rate"]))
    dimension = fields.String(load_default="all", validate=validate.OneOf(list(domain.DIMENSIONS)))
    key = fields.String(validate=validate.Length(1, 100))
    after = fields.String(validate=validate.Length(1, 36), metadata={"description": "only cases after this case id"})
    format = FORMAT


class CaseFactOut(Schema):
    case_id = fields.String()
    tracking_code = fields.String(allow_none=True)
    grid_id = fields.String()
    channel = fields.String()
    category = fields.String()
    registered_at = fields.String()
    state = fields.String()
    department = fields.String(allow_none=True)
    department_name = fields.String(allow_none=True)
    deputy_id = fields.String(allow_none=True)
    answered = fields.Boolean()
    replied = fields.Boolean()
    rating = fields.String(allow_none=True)
    reopen_count = fields.Integer()
    closed = fields.Boolean()
    outcome = fields.String(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    closed_at = fields.String(allow_none=True)
    handling_s = fields.Integer(allow_none=True)


class PendingOut(Schema):
    event_id = fields.String()
    case_id = fields.String()
    seq = fields.Integer(metadata={"description": "its audit log position"})
    event_type = fields.String()


class YearQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100), metadata={"example": 2026,
                                                                         "description": "default: this year"})
    format = FORMAT


class ProjectKpiQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100), metadata={"description": "default: this year"})
    township_id = fields.String(metadata={"description": "one township's projects (乡镇网格 id)"})


class ProjectKpiOut(Schema):
    year = fields.Integer()
    township_id = fields.String(allow_none=True)
    proposed = fields.Integer(metadata={"description": "projects proposed in the year"})
    funded = fields.Integer(metadata={"description": "projects whose funding the city approved in the year"})
    completed = fields.Integer(metadata={"description": "projects completed in the year"})
    refused = fields.Integer(metadata={"description": "projects proposed in the year and refused"})
    funded_yuan = fields.Integer(metadata={"description": "the money approved in the year, yuan"})
    ratings = fields.Integer(metadata={"description": "residents' ratings of the year's completed projects"})
    satisfaction = fields.Float(allow_none=True, metadata={"description": "satisfied or basically satisfied"})


class PerformanceQuery(YearQuery):
    township = fields.String(validate=validate.Length(1, 64), metadata={
        "description": "only the deputies assigned to a grid of this township (乡镇, its grid id): the 代表履职 list "
                       "of one township, read without the county's other deputies"})


class RankingQuery(YearQuery):
    min_cases = fields.Integer(load_default=10, validate=validate.Range(min=1),
                               metadata={"description": "fewer cases than this: listed, not ranked"})


class PerformanceOut(Schema):
    deputy_id = fields.String()
    name = fields.String()
    level = fields.String()
    kind = fields.String()
    position = fields.String(allow_none=True)
    status = fields.String()
    grids = fields.List(fields.Dict())
    year = fields.Integer()
    as_of = fields.String()
    visits = fields.Integer()
    weeks = fields.Integer()
    weeks_with_visit = fields.Integer()
    visits_per_week = fields.Float(allow_none=True)
    visits_meet = fields.Boolean()
    households_by_month = fields.List(fields.Dict())
    households_meet = fields.Boolean()
    reach_by_quarter = fields.List(fields.Dict())
    grid_population = fields.Integer(allow_none=True)
    reach_meet = fields.Boolean()
    reception_days = fields.Integer()
    reception_hours = fields.Float()
    residents_received = fields.Integer()
    cases_received = fields.Integer()
    cases_answered = fields.Integer()
    disputes_mediated = fields.Integer()
    contact_households = fields.Integer()
    contact_kinds = fields.Dict(keys=fields.String(), values=fields.Integer())
    contact_meetings = fields.Integer()
    contact_meetings_min = fields.Integer()
    contact_meet = fields.Boolean()
    meetings = fields.Integer()
    duties = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True,
                         metadata={"description": "the duty record (履职登记) of the year by kind, withdrawn entries "
                                                  "left out: suggestion, inspection, survey, themed_activity, forum, "
                                                  "dispute_mediated, household_helped"})
    projects_completed = fields.Integer(metadata={"description": "micro livelihood projects (民生微实事) the deputy "
                                                                 "proposed that were completed in the year"})
    five_ones = fields.Dict(metadata={"description": "五个一: null where no event reports it yet"})
    five_ones_done = fields.Integer()


class RankedGrid(Schema):
    grid_id = fields.String()
    code = fields.String(allow_none=True)
    name = fields.String()
    kpis = fields.Dict()
    score = fields.Float()
    rank = fields.Integer(allow_none=True)
    excellent = fields.Boolean()


class RankingOut(Schema):
    year = fields.Integer()
    min_cases = fields.Integer()
    formula = fields.String()
    formula_zh = fields.String(metadata={"description": "the rule in Chinese, as the dashboard explains it"})
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    grids_ranked = fields.Integer()
    excellent = fields.List(fields.String())
    grids = fields.List(fields.Nested(RankedGrid))


class AlarmOut(Schema):
    """A standing alarm for auditors."""

    kind = fields.String(metadata={"enum": ["checkpoint", "projection_differs", "projection_error", "reconcile_missing",
                                            "reconcile_error"]})
    at = fields.DateTime(allow_none=True, metadata={"description": "when the run that found it started"})
    detail = fields.String()


class ProjectionCheckOut(Schema):
    """One scheduled comparison of the projections with a replay of the audit log."""

    id = fields.String()
    started_at = fields.DateTime()
    outcome = fields.String(metadata={"description": "clean, differs or error"})
    entries = fields.Integer(allow_none=True, metadata={"description": "audit-log entries replayed"})
    differences = fields.Integer(allow_none=True, metadata={"description": "projection rows that differ"})
    detail = fields.Function(lambda run: json.loads(run.detail) if run.detail else None)


class ReconcileRunOut(Schema):
    """One scheduled reconciliation: the period, the outcome, and per stage how many accepted cases were missing."""

    id = fields.String()
    started_at = fields.DateTime()
    since = fields.DateTime()
    until = fields.DateTime()
    outcome = fields.String(metadata={"description": "clean, missing or error"})
    accepted = fields.Integer(allow_none=True)
    missing_routing = fields.Integer(allow_none=True)
    missing_notify = fields.Integer(allow_none=True)
    missing_audit = fields.Integer(allow_none=True)
    doubled = fields.Integer(allow_none=True)
    detail = fields.Function(lambda run: json.loads(run.detail) if run.detail else None)
