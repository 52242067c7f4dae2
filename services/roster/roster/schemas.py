"""Request and response shapes of the roster API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from flask_smorest.fields import Upload

from wangge_common.schemas import PageArgs

from . import domain


def _mobile(value: str) -> None:
    if not domain.MOBILE.match(value):
        raise ValidationError("must be an 11-digit mainland mobile number starting with 1 (e.g. 13812345678)")


PHONE_DISPLAY_DOC = "which public contact the notice prints, as the deputy agreed: office (their office number) or station (the liaison station's number); the mobile is never published (masked_mobile: old name of station)"


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank (only spaces)")


def _id_number(value: str) -> None:
    problem = domain.id_number_problem(value)
    if problem:
        raise ValidationError(problem)


def Name(size: int, **kwargs):  # noqa: N802 - a field factory: a name of at least one character that is not a space
    return fields.String(validate=[validate.Length(1, size), _not_blank], **kwargs)


ExternalId = lambda: fields.String(  # noqa: E731 - a field factory
    allow_none=True, validate=[validate.Length(1, 100), _not_blank],
    metadata={"description": "the integrator's own id (ref): an import matches its rows by it before anything else"})


def _office(value: str) -> None:
    if not domain.OFFICE_PHONE.match(value):
        raise ValidationError("must be an area code and number, e.g. 0731-55681234")


class GridCentre(Schema):
    """A grid's centre (WGS84), optional: a located request (Open311 lat/long) is placed in the nearest one."""

    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90),
                            metadata={"description": "the grid's centre, WGS84 latitude (with longitude)"})
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180),
                             metadata={"description": "the grid's centre, WGS84 longitude (with latitude)"})

    @validates_schema
    def _both_coordinates(self, data, **kwargs):
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if ("latitude" in data) != ("longitude" in data) or (latitude is None) != (longitude is None):
            lacking = "latitude" if "latitude" not in data or latitude is None else "longitude"
            raise ValidationError("give latitude and longitude together", lacking)


class GridIn(GridCentre):
    code = fields.String(required=True, validate=[validate.Length(1, 40), _not_blank],
                         metadata={"example": "SS-01-02-03"})
    external_id = ExternalId()
    name = Name(100, required=True, metadata={"example": "韶山村第三村民小组"})
    level = fields.Integer(required=True, validate=validate.Range(1, 3),
                           metadata={"description": "1 township, 2 village/community, 3 villagers' group/estate"})
    parent_id = fields.UUID(load_default=None, allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(domain.GRID_KINDS))
    households = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))
    population = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))
    difficulty = fields.Integer(load_default=1, validate=validate.Range(1, 5),
                                metadata={"description": "1 easy … 5 hardest to govern"})
    leader = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 50),
                           metadata={"description": "grid leader (网格长)"})
    workers = fields.List(fields.String(validate=validate.Length(1, 50)), load_default=list,
                          validate=validate.Length(max=50), metadata={"description": "grid workers (网格员)"})
    constituency = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100),
                                 metadata={"description": "original constituency (原选区) the grid lies in; the "
                                                          "planner prefers deputies elected there"})


class GridPatch(GridCentre):
    """Any subset of a grid's fields; a new parent or level is checked against the tree."""

    code = fields.String(validate=[validate.Length(1, 40), _not_blank])
    external_id = ExternalId()
    name = Name(100)
    level = fields.Integer(validate=validate.Range(1, 3))
    parent_id = fields.UUID(allow_none=True)
    kind = fields.String(validate=validate.OneOf(domain.GRID_KINDS))
    households = fields.Integer(validate=validate.Range(0, 1_000_000))
    population = fields.Integer(validate=validate.Range(0, 10_000_000))
    difficulty = fields.Integer(validate=validate.Range(1, 5))
    leader = fields.String(allow_none=True, validate=validate.Length(1, 50))
    workers = fields.List(fields.String(validate=validate.Length(1, 50)), validate=validate.Length(max=50))
    constituency = fields.String(allow_none=True, validate=validate.Length(1, 100))


class GridOut(Schema):
    id = fields.String()
    code = fields.String()
    external_id = fields.String(allow_none=True)
    name = fields.String()
    level = fields.Integer()
    parent_id = fields.String(allow_none=True)
    kind = fields.String()
    households = fields.Integer()
    population = fields.Integer()
    difficulty = fields.Integer()
    leader = fields.String(allow_none=True)
    workers = fields.List(fields.String())
    constituency = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    flags = fields.Method("_flags", metadata={"description": "e.g. households_outside_range:300-500 (allowed, shown)"})

    def _flags(self, grid) -> list[str]:
        return domain.household_flags(grid.kind, grid.level, grid.households)


class GridQuery(PageArgs):
    under = fields.UUID(metadata={"description": "only those in this grid's subtree (a township's roster)"})
    q = fields.String(validate=validate.Length(1, 50), metadata={"description": "search: name, code or external id"})
    level = fields.Integer(validate=validate.Range(1, 3))
    parent_id = fields.UUID()


class DeputyFields(Schema):
    kind = fields.String(validate=validate.OneOf(domain.DEPUTY_KINDS),
                         metadata={"description": "npc_deputy 人大代表, party_delegate 党代表"})
    name = Name(50)
    external_id = ExternalId()
    id_number = fields.String(allow_none=True, validate=_id_number, metadata={
        "description": "身份证号 (optional): stored encrypted; finds the same person registered twice"})
    gender = fields.String(validate=validate.OneOf(("female", "male")))
    level = fields.String(validate=validate.OneOf(domain.LEVELS))
    position = fields.String(allow_none=True, validate=validate.Length(1, 100), metadata={"description": "职务"})
    mobile = fields.String(validate=_mobile)
    office_phone = fields.String(allow_none=True, validate=_office)
    email = fields.Email(allow_none=True, validate=validate.Length(max=120))
    phone_display = fields.String(validate=validate.OneOf(domain.PHONE_DISPLAYS),
                                  metadata={"description": PHONE_DISPLAY_DOC})
    constituency = fields.String(allow_none=True, validate=validate.Length(1, 100), metadata={"description": "原选区"})
    home_grid_id = fields.UUID(allow_none=True)
    work_grid_id = fields.UUID(allow_none=True)
    specialities = fields.List(fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=20))
    capability = fields.Integer(validate=validate.Range(1, 5),
                                metadata={"description": "1 … 5, how capable and well regarded"})
    pledge = fields.String(allow_none=True, validate=validate.Length(1, 2000), metadata={"description": "履职承诺"})
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(domain.STATUSES))

    @validates_schema
    def _term_in_order(self, data, **_):
        if data.get("term_start") and data.get("term_end") and data["term_end"] < data["term_start"]:
            raise ValidationError("must not be before term_start", field_name="term_end")


class DeputyIn(DeputyFields):
    name = Name(50, required=True, metadata={"example": "李红梅"})
    gender = fields.String(required=True, validate=validate.OneOf(("female", "male")))
    level = fields.String(required=True, validate=validate.OneOf(domain.LEVELS))
    mobile = fields.String(required=True, validate=_mobile, metadata={"example": "13812345678"})
    kind = fields.String(load_default="npc_deputy", validate=validate.OneOf(domain.DEPUTY_KINDS))
    phone_display = fields.String(load_default="station", validate=validate.OneOf(domain.PHONE_DISPLAYS),
                                  metadata={"description": PHONE_DISPLAY_DOC})
    specialities = fields.List(fields.String(validate=validate.Length(1, 40)), load_default=list,
                               validate=validate.Length(max=20))
    capability = fields.Integer(load_default=3, validate=validate.Range(1, 5))
    status = fields.String(load_default="serving", validate=validate.OneOf(("serving", "suspended")),
                           metadata={"description": "a term ends through POST /v1/deputies/{id}/end"})

    @validates_schema
    def _office_number_for_office_display(self, data, **_):
        # A patch is checked in the handler, against the office number already on file.
        if data.get("phone_display") == "office" and not data.get("office_phone"):
            raise ValidationError("is required when phone_display is 'office'", field_name="office_phone")


class DeputyPatch(DeputyFields):
    """Any subset of a deputy's fields; a change of status (suspension, resumption) says why."""

    reason = fields.String(validate=validate.Length(1, 500), metadata={
        "description": "why: required when the status changes (e.g. 暂停执行代表职务), carried by deputy.updated"})


class DeputyOut(Schema):
    id = fields.String()
    external_id = fields.String(allow_none=True)
    id_number_masked = fields.String(allow_none=True, metadata={"example": "4303**********1234"})
    kind = fields.String()
    name = fields.String()
    gender = fields.String()
    level = fields.String()
    position = fields.String(allow_none=True)
    mobile_masked = fields.String(metadata={"example": "138****5678"})
    office_phone = fields.String(allow_none=True)
    public_phone = fields.Method("_public_phone", metadata={
        "description": "the deputy's own public number (office) when they agreed to publish it; null: the notice "
                       "prints their station's number"})
    phone_display = fields.String()
    constituency = fields.String(allow_none=True)
    home_grid_id = fields.String(allow_none=True)
    work_grid_id = fields.String(allow_none=True)
    specialities = fields.List(fields.String())
    capability = fields.Integer()
    pledge = fields.String(allow_none=True)
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    status = fields.String()
    end_reason = fields.String(allow_none=True)

    def _public_phone(self, deputy) -> str | None:
        return domain.public_phone(deputy.office_phone, deputy.phone_display)


class DeputyQuery(PageArgs):
    under = fields.UUID(metadata={"description": "only those in this grid's subtree (a township's roster)"})
    q = fields.String(validate=validate.Length(1, 50), metadata={"description": "search: name, code or external id"})
    level = fields.String(validate=validate.OneOf(domain.LEVELS))
    kind = fields.String(validate=validate.OneOf(domain.DEPUTY_KINDS), metadata={"description": "e.g. party_delegate"})
    status = fields.String(validate=validate.OneOf(domain.STATUSES))
    grid_id = fields.UUID(metadata={"description": "deputies who live or work in this grid"})


class DeputyEnd(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "任期届满"})
    ended_on = fields.Date(required=True, metadata={"example": "2026-11-30"})


class ContactOut(Schema):
    name = fields.String(metadata={"example": "李红梅"})
    phone = fields.String(allow_none=True, metadata={"example": "13812345678"})
    email = fields.String(allow_none=True)


class StationIn(Schema):
    name = Name(100, required=True, metadata={"example": "清溪镇人大代表联络站"})
    external_id = ExternalId()
    tier = fields.String(required=True, validate=validate.OneOf(domain.STATION_TIERS),
                         metadata={"description": "1+4+N: main 总站, township 镇站, area 片区站"})
    address = fields.String(required=True, validate=validate.Length(1, 200), metadata={"example": "清溪镇政府一楼"})
    opening_hours = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                                  metadata={"example": "周一至周五 8:30-17:30"})
    phone = fields.String(load_default=None, allow_none=True, validate=_office,
                          metadata={"example": "0731-55681234", "description": "the station's public number"})
    grid_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=5000))


class StationPatch(Schema):
    name = Name(100)
    external_id = ExternalId()
    tier = fields.String(validate=validate.OneOf(domain.STATION_TIERS))
    address = fields.String(validate=validate.Length(1, 200))
    opening_hours = fields.String(allow_none=True, validate=validate.Length(1, 200))
    phone = fields.String(allow_none=True, validate=_office)
    grid_ids = fields.List(fields.UUID(), validate=validate.Length(max=5000))


class StationOut(Schema):
    id = fields.String()
    external_id = fields.String(allow_none=True)
    name = fields.String()
    tier = fields.String()
    address = fields.String()
    opening_hours = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    grid_ids = fields.List(fields.String())
    township_id = fields.String(allow_none=True, metadata={"description": "the township of a township station"})


class StationFindingOut(Schema):
    rule = fields.String(metadata={"example": "township_without_station"})
    reason = fields.String()
    grid_id = fields.String()
    grid_code = fields.String()
    station_id = fields.String()


class StationNetworkOut(Schema):
    """"1+4+N" as it stands: one main station, one per township, N area stations."""

    formula = fields.String(metadata={"example": "1+4+12", "description": "main + township stations + area stations"})
    complete = fields.Boolean(metadata={"description": "true when nothing is missing"})
    main_station_id = fields.String(allow_none=True)
    township_stations = fields.Integer()
    area_stations = fields.Integer()
    townships = fields.List(fields.Dict(), metadata={"description": "each township and its station (null if none)"})
    findings = fields.List(fields.Nested(StationFindingOut))


class StationQuery(PageArgs):
    under = fields.UUID(metadata={"description": "only those in this grid's subtree (a township's roster)"})
    q = fields.String(validate=validate.Length(1, 50), metadata={"description": "search: name, code or external id"})
    grid_id = fields.UUID(metadata={"description": "stations serving this grid"})
    tier = fields.String(validate=validate.OneOf(domain.STATION_TIERS))


class RulesIn(Schema):
    """Hard-rule parameters of the planner (defaults from the seeds: 1–3 deputies a grid, a township deputy)."""

    min_per_grid = fields.Integer(load_default=1, validate=validate.Range(1, 10))
    max_per_grid = fields.Integer(load_default=3, validate=validate.Range(1, 10))
    max_load = fields.Integer(load_default=1, validate=validate.Range(1, 10),
                              metadata={"description": "the most grids one deputy may serve"})
    township_deputy_required = fields.Boolean(load_default=True)
    pair_party_delegates = fields.Boolean(load_default=False,
                                          metadata={"description": "两代表: also place party delegates, one a grid"})

    @validates_schema
    def _min_not_above_max(self, data, **_):
        if data["min_per_grid"] > data["max_per_grid"]:
            raise ValidationError("must not exceed max_per_grid", field_name="min_per_grid")


class PlanIn(Schema):
    scope_grid_id = fields.UUID(load_default=None, allow_none=True,
                                metadata={"description": "a township (or any grid's subtree); null: the county"})
    rules = fields.Nested(RulesIn, load_default=lambda: RulesIn().load({}))


class PlanDeputyOut(Schema):
    deputy_id = fields.String()
    name = fields.String()
    level = fields.String()
    kind = fields.String()
    basis = fields.String(metadata={"description": "home_or_work, constituency, nearby, township, county, "
                                                   "party_delegate or manual"})


class PlanGridOut(Schema):
    grid_id = fields.String()
    code = fields.String()
    name = fields.String()
    deputies = fields.List(fields.Nested(PlanDeputyOut))


class ViolationOut(Schema):
    rule = fields.String(metadata={"example": "no_township_deputy"})
    reason = fields.String()
    grid_id = fields.String()
    grid_code = fields.String()
    deputy_id = fields.String()
    advice = fields.String(metadata={"description": "what would make the plan feasible",
                                     "example": "max load 2 covers all"})


class PreShaped(fields.List):
    """A long list already built in its output shape (a county plan's 8,000 grids, by plans.plan_view): documented
    as its nested schema, passed through as it is instead of being dumped item by item."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class PlanOut(Schema):
    id = fields.String()
    scope_grid_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "draft, submitted (for approval), approved or published"})
    feasible = fields.Boolean(metadata={"description": "false when a hard rule fails; see violations"})
    rules = fields.Dict()
    violations = fields.List(fields.Nested(ViolationOut))
    warnings = PreShaped(fields.Nested(ViolationOut), metadata={
        "description": "shown, not refused: e.g. no_party_delegate, a grid without one when 两代表 are paired"})
    created_by = fields.String(metadata={"description": "who drafted it: person:<account id> or apikey:<name>"})
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    published_by = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    summary = fields.Dict(metadata={"example": {"grids": 54, "deputies": 98, "by_basis": {"home_or_work": 80}}})
    grids = fields.List(fields.Nested(PlanGridOut))


class PlanGridChangeOut(Schema):
    """What a hand edit of one grid changed (`Prefer: return=minimal`)."""

    class Meta:
        ordered = True

    plan_id = fields.String()
    status = fields.String()
    feasible = fields.Boolean()
    violations_total = fields.Integer()
    warnings_total = fields.Integer()
    grid = fields.Nested(PlanGridOut)
    violations_added = fields.List(fields.Nested(ViolationOut))
    violations_removed = fields.List(fields.Nested(ViolationOut))
    warnings_added = fields.List(fields.Nested(ViolationOut))
    warnings_removed = fields.List(fields.Nested(ViolationOut))


class PlanQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(("draft", "submitted", "approved", "published")))
    scope_grid_id = fields.UUID(metadata={"description": "the plans of one township (or grid subtree)"})


class PlanGridEdit(Schema):
    deputy_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(max=10))


class CoverageQuery(Schema):
    township_id = fields.UUID(metadata={"description": "one township; the whole county when absent"})
    max_load = fields.Integer(load_default=1, validate=validate.Range(1, 10))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


_HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="must be a time of day as HH:MM, e.g. 14:30")


class ReceptionRuleIn(Schema):
    grid_id = fields.UUID(load_default=None, allow_none=True)
    station_id = fields.UUID(load_default=None, allow_none=True)
    place = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                          metadata={"description": "defaults to the station's or grid's name"})
    pattern = fields.String(required=True, validate=validate.OneOf(("monthly", "weekly")))
    month_days = fields.List(fields.Integer(validate=validate.Range(1, 31)), load_default=list,
                             validate=validate.Length(max=4), metadata={"example": [10, 25]})
    weekday = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 6),
                             metadata={"description": "0 Monday … 6 Sunday (weekly rota)"})
    start_time = fields.String(required=True, validate=_HHMM, metadata={"example": "09:00"})
    end_time = fields.String(required=True, validate=_HHMM, metadata={"example": "11:00"})
    rota = fields.List(fields.List(fields.UUID(), validate=validate.Length(1, 10)), required=True,
                       validate=validate.Length(1, 52),
                       metadata={"description": "duty teams taking turns, each a list of deputy ids"})
    two_representatives = fields.Boolean(load_default=False,
                                         metadata={"description": "两代表: a party delegate on duty with the deputies"})
    weeks = fields.Integer(load_default=8, validate=validate.Range(1, 53), metadata={"description": "publish ahead"})


class ReceptionRulePatch(Schema):
    """What a schedule uses for the days it generates from now on; published days are changed one by one."""

    place = fields.String(validate=validate.Length(1, 200))
    start_time = fields.String(validate=_HHMM)
    end_time = fields.String(validate=_HHMM)
    rota = fields.List(fields.List(fields.UUID(), validate=validate.Length(1, 10)), validate=validate.Length(1, 52))
    two_representatives = fields.Boolean()


class GenerateIn(Schema):
    weeks = fields.Integer(load_default=8, validate=validate.Range(1, 53))


class ReceptionDayOut(Schema):
    id = fields.String()
    rule_id = fields.String()
    day = fields.Date()
    grid_id = fields.String(allow_none=True)
    station_id = fields.String(allow_none=True)
    place = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    deputy_ids = fields.List(fields.String())
    status = fields.String(metadata={"description": "scheduled, changed or cancelled"})
    reason = fields.String(allow_none=True)


class SkippedDay(Schema):
    day = fields.Date(allow_none=True, metadata={"description": "null when the month has no such day (30 February)"})
    month = fields.String(metadata={"description": "YYYY-MM, for a day of the month the month does not have"})
    reason = fields.String()


class ReceptionRuleOut(Schema):
    id = fields.String()
    grid_id = fields.String(allow_none=True)
    station_id = fields.String(allow_none=True)
    place = fields.String()
    pattern = fields.String()
    month_days = fields.List(fields.Integer())
    weekday = fields.Integer(allow_none=True)
    start_time = fields.String()
    end_time = fields.String()
    rota = fields.List(fields.List(fields.String()))
    two_representatives = fields.Boolean()
    description = fields.String(metadata={"example": "每月10日、25日 09:00-11:00"})
    published = fields.List(fields.Nested(ReceptionDayOut))
    skipped = fields.List(fields.Nested(SkippedDay))


class ReceptionDayPatch(Schema):
    day = fields.Date()
    start_time = fields.String(validate=_HHMM)
    end_time = fields.String(validate=_HHMM)
    place = fields.String(validate=validate.Length(1, 200))
    deputy_ids = fields.List(fields.UUID(), validate=validate.Length(1, 10))
    cancel = fields.Boolean(load_default=False)
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "代表参加县人代会"})


class ReceptionDayQuery(PageArgs):
    grid_id = fields.UUID()
    station_id = fields.UUID()
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")


class NoticeQuery(Schema):
    format = fields.String(validate=validate.OneOf(("html", "json")),
                           metadata={"description": "html (printable page) or json; by Accept header when absent"})


class NoticeOut(Schema):
    grid = fields.Dict(metadata={"example": {"code": "SS-01-02-03", "full_name": "韶山乡韶山村第三村民小组",
                                             "leader": "毛建国", "workers": ["李小芳"]}})
    deputies = fields.List(fields.Dict(), metadata={"example": [{"name": "李红梅", "level_zh": "乡镇人大代表",
                                                                 "position": "村党支部书记", "phone": "0731-55681234",
                                                                 "phone_source": "station",
                                                                 "pledge": "认真倾听群众呼声。"}]})
    station = fields.Dict(allow_none=True)
    reception_rules = fields.List(fields.Dict())
    upcoming_receptions = fields.List(fields.Dict())
    notice_period = fields.Dict(allow_none=True, metadata={
        "description": "公示期: from the latest publication of the grid's assignments, WANGGE_ROSTER_NOTICE_DAYS days",
        "example": {"from": "2026-12-01", "to": "2026-12-08"}})
    supervision_phone = fields.String(allow_none=True, metadata={
        "description": "监督电话: the township station's number, else WANGGE_ROSTER_SUPERVISION_PHONE"})
    issuer = fields.String()
    date = fields.String(metadata={"example": "2026-11-22"})


class ContactLinkIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(domain.CONTACT_KINDS),
                         metadata={"description": "wealth_leader 致富带头人, household_in_difficulty 困难群众, "
                                                  "respected_figure 乡贤"})
    household = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "王秀英户"})
    grid_id = fields.UUID(load_default=None, allow_none=True)
    linked_on = fields.Date(load_default=None, allow_none=True)


class ContactLinkOut(Schema):
    id = fields.String()
    deputy_id = fields.String()
    kind = fields.String()
    kind_zh = fields.String()
    household = fields.String()
    grid_id = fields.String(allow_none=True)
    linked_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    meetings_this_year = fields.Integer()


class ContactUnlinkIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "户主迁出本村"})
    ended_on = fields.Date(required=True)


class MeetingIn(Schema):
    met_on = fields.Date(required=True, metadata={"example": "2026-06-15"})
    summary = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 2000))


class MeetingOut(Schema):
    id = fields.String()
    link_id = fields.String()
    deputy_id = fields.String()
    met_on = fields.Date()
    summary = fields.String(allow_none=True)


class ContactReportQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))
    township_id = fields.UUID()


class ContactListQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))


class ContactReportOut(Schema):
    year = fields.Integer()
    as_of = fields.Date(metadata={"description": "links counted are those in force on this day: the year's end, or "
                                                "today for the current year"})
    deputies_checked = fields.Integer()
    deputies_short = fields.Integer()
    deputies = fields.List(fields.Dict(), metadata={"example": [
        {"name": "李红梅", "links": 2, "kinds_missing": ["respected_figure"], "meetings": 1}]})


class ImportFile(Schema):
    file = Upload(required=True, metadata={"description": ".csv (UTF-8 or GB18030) or .xlsx; first row: headings"})


class ImportQuery(Schema):
    import_valid_rows = fields.Boolean(load_default=False, metadata={
        "description": "import the good rows even when some are bad (default: a bad row changes nothing)"})
    ignore_unknown_columns = fields.Boolean(load_default=False, metadata={
        "description": "import although some headings are not columns of this import (they are listed in "
                       "unknown_columns either way; default: such a file is refused, nothing is dropped silently)"})
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "check and write in a transaction that is rolled back: the answer says what the import "
                       "would do, row by row, and nothing changes (the preview of an import)"})


class BulkIn(Schema):
    items = fields.List(fields.Dict(), required=True, validate=validate.Length(1, 50_000), metadata={
        "description": "rows in the file import's columns (grids: code, parent_code …; deputies: external_id, "
                       "home_grid_code …); an item's position (from 1) is its `row` in errors"})


class ImportRowError(Schema):
    row = fields.Integer(metadata={"description": "spreadsheet row number (headings are row 1)"})
    field = fields.String()
    column = fields.String(metadata={"description": "the column's Chinese heading (手机, 居住网格 …)"})
    reason = fields.String(metadata={"description": "why, in Chinese"})


class ImportColumn(Schema):
    column = fields.String(metadata={"description": "the heading as written"})
    reason = fields.String()


class ImportRowOutcome(Schema):
    row = fields.Integer()
    action = fields.String(metadata={"description": "created, updated or unchanged"})
    id = fields.String(allow_none=True)
    label = fields.String(metadata={"description": "the grid's code and name, or the deputy's name"})
    matched_by = fields.String(metadata={"description": "how a deputy row found the deputy it updates: id, "
                                                        "external_id, id_number or mobile (the same person merged)"})


class ImportOut(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    invalid_rows = fields.Integer()
    errors = fields.List(fields.Nested(ImportRowError))
    unknown_columns = fields.List(fields.Nested(ImportColumn), metadata={
        "description": "headings that are no column of this import (nothing in them is read)"})
    ignored_columns = fields.List(fields.Nested(ImportColumn), metadata={
        "description": "known headings that an import does not read (e.g. the export's masked mobile)"})
    dry_run = fields.Boolean()
    outcomes = fields.List(fields.Nested(ImportRowOutcome), metadata={
        "description": "what happened (or, in a dry run, would happen) to each valid row"})


class ImportJobOut(Schema):
    id = fields.String()
    what = fields.String(metadata={"description": "grids or deputies"})
    filename = fields.String()
    import_valid_rows = fields.Boolean()
    actor = fields.String()
    status = fields.String(metadata={"description": "queued, checking (every row validated, nothing written yet), "
                                                    "writing (chunk by chunk), succeeded, failed, or interrupted "
                                                    "(its process ended)"})
    rows = fields.Integer(metadata={"description": "data rows in the file"})
    rows_written = fields.Integer(metadata={"description": "valid rows written by committed chunks so far"})
    progress = fields.Method("_progress", metadata={"description": "share of the valid rows written, 0 to 1"})
    created = fields.Integer()
    updated = fields.Integer()
    invalid_rows = fields.Integer()
    errors = fields.List(fields.Nested(ImportRowError), metadata={"description": "the first 1000 row errors"})
    errors_total = fields.Integer()
    detail = fields.String(allow_none=True, metadata={"description": "why the job failed"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)

    def _progress(self, job) -> float:
        if job.status == "succeeded":
            return 1.0
        valid = job.rows - job.invalid_rows
        return round(job.rows_written / valid, 4) if valid > 0 else 0.0


class ExportQuery(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class AssignmentOut(Schema):
    id = fields.String()
    grid_id = fields.String()
    grid_code = fields.String()
    grid_name = fields.String()
    deputy_id = fields.String()
    deputy_name = fields.String()
    plan_id = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)


class AssignmentQuery(PageArgs):
    grid_id = fields.UUID()
    deputy_id = fields.UUID()
    current = fields.Boolean(metadata={"description": "true: only live assignments; false: only ended ones"})


class ScheduleQuery(PageArgs):
    grid_id = fields.UUID()
    station_id = fields.UUID()
