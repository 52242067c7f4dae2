"""Request and response shapes of the intake API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wangge_common.schemas import ChangeFeedArgs, PageArgs

from .. import domain

MOBILE_OR_LANDLINE = validate.Regexp(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
                                     error="must be a mobile number (13812345678) or a landline (0731-55681234)")
ID_WEIGHTS, ID_CHECK = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"  # GB 11643-1999


def _id_number(value: str) -> None:
    """An 18-character resident ID number whose last character is its check digit (GB 11643, ISO 7064 MOD 11-2)."""
    if not (len(value) == 18 and value[:17].isascii() and value[:17].isdigit() and value[17] in "0123456789X"):
        raise ValidationError("must be an 18-character resident ID number")
    expected = ID_CHECK[sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS)) % 11]
    if value[17] != expected:
        raise ValidationError(f"has a wrong check digit (the first 17 digits give {expected}): mistyped?")


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("is only spaces: say what the matter is")
SPECIAL_GROUPS_DOC = ("special groups (特殊群体) that raise priority: subsistence_allowance 低保, disabled 残疾, "
                      "elderly_alone 孤寡老人, left_behind_child 留守儿童")


def _no_repeats(values) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("lists the same value twice")


SpecialGroups = lambda: fields.List(  # noqa: E731 - a field factory
    fields.String(validate=validate.OneOf(domain.SPECIAL_GROUPS)), load_default=list, validate=_no_repeats,
    metadata={"description": SPECIAL_GROUPS_DOC, "example": ["elderly_alone"]})


class Reporter(Schema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 50))
    phone = fields.String(load_default=None, allow_none=True, validate=MOBILE_OR_LANDLINE,
                          metadata={"example": "13812345678"})
    id_number = fields.String(load_default=None, allow_none=True, validate=_id_number)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _reachable(self, data, **_):
        if not data.get("phone") and not data.get("email"):
            raise ValidationError("give a phone number or an email address, or report anonymously (reporter: null)",
                                  field_name="phone")


class ReceivedBy(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(domain.RECEIVER_KINDS))
    id = fields.String(required=True, validate=validate.Length(1, 64),
                       metadata={"description": "deputy id, call-taker id or system name"})


class ExternalRef(Schema):
    system = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "zongzhi-shaoshan"})
    id = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "ZZ-2026-000123"})


class Location(Schema):
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200),
                            metadata={"example": "韶山村第一村民小组12号"})
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))

    @validates_schema
    def _both_coordinates(self, data, **_):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError("give both latitude and longitude, or neither", field_name="latitude")


class Attachment(Schema):
    """Metadata of a file kept elsewhere (photo, letter); intake stores no file bodies."""

    name = fields.String(required=True, validate=validate.Length(1, 200), metadata={"example": "lamp.jpg"})
    media_type = fields.String(required=True, validate=validate.Regexp(r"^[\w.+-]+/[\w.+-]+$",
                               error="must be a media type such as image/jpeg"), metadata={"example": "image/jpeg"})
    size = fields.Integer(required=True, validate=validate.Range(0, 100 * 1024 * 1024))
    sha256 = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9a-f]{64}$",
                           error="must be 64 lower-case hex digits"))
    url = fields.Url(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CaseIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(domain.CHANNELS),
                            metadata={"description": "hotline 热线, station 联络站接待, online 网上联络站, visit 入户走访, "
                                                     "meeting 网格会议/民主恳谈, integration 综治中心/网格平台推送"})
    grid_id = fields.UUID(load_default=None, allow_none=True,
                          metadata={"description": "the grid (网格); omit to resolve it from household_id or the address"})
    household_id = fields.UUID(load_default=None, allow_none=True, metadata={"description": "household file (一户一档)"})
    category = fields.String(required=True, validate=validate.OneOf(domain.CATEGORIES),
                             metadata={"description": "request 求决, enquiry 咨询, complaint 投诉, suggestion 建议"})
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 60),
                          metadata={"example": "road", "description": "a topic of the dispatch catalogue (routing's "
                                                                      "dispatch rules); omit for the category's line"})
    content = fields.String(required=True, validate=[validate.Length(5, 5000), _not_blank],
                            metadata={"example": "村口路灯坏了三天，晚上出行不便。"})
    location = fields.Nested(Location, load_default=None, allow_none=True)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(domain.URGENCIES))
    special_groups = SpecialGroups()
    attachments = fields.List(fields.Nested(Attachment), load_default=list,
                              validate=validate.Length(max=domain.ATTACHMENT_LIMIT))
    reporter = fields.Nested(Reporter, load_default=None, allow_none=True,
                             metadata={"description": "null for an anonymous report"})
    received_by = fields.Nested(ReceivedBy, required=True,
                                metadata={"description": "who took the matter in; a deputy is its first receiver (首问责任)"})
    received_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                       metadata={"description": "when the matter was taken in; default now"})
    external_ref = fields.Nested(ExternalRef, load_default=None, allow_none=True,
                                 metadata={"description": "the pushing system's own id; kept and searchable"})


class MaskedReporter(Schema):
    name = fields.String(allow_none=True, attribute="reporter_name_masked", metadata={"example": "王*英"})
    phone = fields.String(allow_none=True, attribute="reporter_phone_masked", metadata={"example": "139****5678"})
    id_number = fields.String(allow_none=True, attribute="reporter_id_number_masked",
                              metadata={"example": "430382********1234"})
    reporter_ref = fields.String()


class CaseOut(Schema):
    id = fields.String()
    tracking_code = fields.String(metadata={"example": "WG7K3M9Q2P"})
    status = fields.String(metadata={"description": "the lifecycle state intake last saw on cases.v1"})
    step = fields.String(metadata={"description": "the resident's view: received, assigned, answered, evaluated, closed"})
    channel = fields.String()
    grid_id = fields.String()
    household_id = fields.String(allow_none=True)
    category = fields.String()
    topic = fields.String(allow_none=True)
    content = fields.String()
    location = fields.Method("_location")
    urgency = fields.String()
    priority = fields.String(metadata={"description": "urgent, high (a special group) or normal"})
    updated_at = fields.DateTime(metadata={"description": "when anything about the case last changed here (the "
                                                          "change feed's order: ?updated_since=)"})
    special_groups = fields.List(fields.String())
    attachments = fields.List(fields.Dict())
    anonymous = fields.Method("_anonymous")
    reporter = fields.Method("_reporter")
    reporter_phone_masked = fields.String(allow_none=True)
    received_by = fields.Method("_received_by")
    first_receiver_id = fields.String(allow_none=True, metadata={
        "description": "the first receiver (首问责任人), as routing named it on case.triaged; null until triaged"})
    received_at = fields.DateTime()
    external_ref = fields.Method("_external_ref")

    _REPORTER = MaskedReporter()

    def _location(self, case):
        if case.address is None and case.latitude is None:
            return None
        return {"address": case.address, "latitude": case.latitude, "longitude": case.longitude}

    def _anonymous(self, case) -> bool:
        return case.reporter_ref is None

    def _reporter(self, case):
        return None if case.reporter_ref is None else self._REPORTER.dump(case)

    def _received_by(self, case) -> dict:
        return {"kind": case.received_by_kind, "id": case.received_by_id}

    def _external_ref(self, case):
        return {"system": case.external_system, "id": case.external_id} if case.external_system else None


class CaseQuery(PageArgs, ChangeFeedArgs):
    tracking_code = fields.String(load_default=None)
    external_system = fields.String(load_default=None)
    external_id = fields.String(load_default=None, metadata={"description": "the pushing system's own id"})
    grid_id = fields.UUID(load_default=None)
    household_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None)
    priority = fields.String(load_default=None, validate=validate.OneOf(("normal", "high", "urgent")),
                             metadata={"description": "high: a special group (低保, 残疾, 孤寡老人, 留守儿童)"})


class BulkIn(Schema):
    cases = fields.List(fields.Dict(), required=True, validate=validate.Length(1, domain.BULK_LIMIT),
                        metadata={"description": f"up to {domain.BULK_LIMIT} case bodies, each as for POST /v1/cases"})


class BulkItem(Schema):
    index = fields.Integer()
    existing_case_id = fields.String(allow_none=True, metadata={"description": "with 409: the case registered earlier"})
    status = fields.Integer(metadata={"description": "201 registered, 409 already registered, 422 invalid"})
    case = fields.Nested(CaseOut, allow_none=True)
    errors = fields.List(fields.Dict(), allow_none=True)
    detail = fields.String(allow_none=True)


class BulkOut(Schema):
    registered = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(BulkItem))


class SupplementIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "reporter added a photo"})
    content_added = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 4000))
    attachments = fields.List(fields.Nested(Attachment), load_default=list,
                              validate=validate.Length(max=domain.ATTACHMENT_LIMIT))

    @validates_schema
    def _something_added(self, data, **_):
        if not data.get("content_added") and not data.get("attachments"):
            raise ValidationError("add content or at least one attachment", field_name="content_added")


class WithdrawIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "邻里已协商解决"})
    requested_by = fields.String(required=True, validate=validate.OneOf(domain.WITHDRAW_REQUESTERS))


class EntryOut(Schema):
    event_type = fields.String()
    state = fields.String(allow_none=True)
    step = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    content_added = fields.String(allow_none=True)
    attachments = fields.List(fields.Dict())
    actor = fields.String()
    at = fields.DateTime()


class ContactOut(Schema):
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "in clear: for service-to-service use only"})
    email = fields.String(allow_none=True)


class CaseSummary(Schema):
    id = fields.String()
    tracking_code = fields.String()
    category = fields.String()
    topic = fields.String(allow_none=True)
    status = fields.String()
    received_at = fields.DateTime()


# --- duplicates and tracking -------------------------------------------------------------------------
class LinkOut(Schema):
    id = fields.String()
    case_id = fields.String()
    related_case_id = fields.String()
    basis = fields.String(metadata={"description": "same_household or similar_content (found at registration), "
                                                   "manual (linked by staff)"})
    status = fields.String(metadata={"description": "suggested, confirmed or undone"})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class LinkIn(Schema):
    case_id = fields.UUID(required=True, metadata={"description": "the newer case"})
    related_case_id = fields.UUID(required=True, metadata={"description": "the case it is the same matter as"})
    reason = fields.String(required=True, validate=validate.Length(1, 500),
                           metadata={"example": "同一路灯，两位群众分别反映"})


class LinkDecisionIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class TrackStep(Schema):
    step = fields.String(metadata={"description": "received, assigned, answered, evaluated, closed, withdrawn; in the "
                                                  "real history also returned, reopened, escalated"})
    label = fields.String(metadata={"example": "已受理"})
    reached_at = fields.DateTime(allow_none=True, metadata={"description": "null: a step still ahead (待办理)"})
    current = fields.Boolean(metadata={"description": "the step the case is at now (the last one reached)"})


class TrackOut(Schema):
    tracking_code = fields.String()
    category = fields.String()
    topic = fields.String(allow_none=True)
    channel = fields.String()
    received_at = fields.DateTime()
    step = fields.String()
    step_label = fields.String()
    updated_at = fields.DateTime()
    steps = fields.List(fields.Nested(TrackStep), metadata={
        "description": "the steps the case really went through, in order (a step may repeat, e.g. answered again "
                       "after 发回重办), then those still ahead"})
    department = fields.String(allow_none=True, metadata={
        "description": "who handles or answered it: the department's Chinese name (several joined by 、), or "
                       "人大代表现场解答 for an answer on the spot", "example": "镇村镇建设办"})
    answer = fields.String(allow_none=True, metadata={"description": "the answer, once answered (已答复 and after)"})


class ReporterPersonalOut(Schema):
    reporter_ref = fields.String()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class SupplementPersonalOut(Schema):
    event_id = fields.String()
    at = fields.DateTime()
    content_added = fields.String(allow_none=True)


class CasePersonalOut(Schema):
    case_id = fields.String()
    content = fields.String(metadata={"description": "the text as written, before redaction"})
    reporter = fields.Nested(ReporterPersonalOut, allow_none=True)
    supplements = fields.List(fields.Nested(SupplementPersonalOut))


class ErasureIn(Schema):
    reporter_ref = fields.String(validate=validate.Length(1, 64), metadata={
        "description": "the reporter of a case (CaseOut.reporter.reporter_ref)"})
    phone = fields.String(validate=validate.Length(1, 30), metadata={
        "description": "erase every report made with this phone number (and the household files with it)"})
    household_id = fields.UUID(metadata={"description": "erase the household file's contact"})
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={
        "example": "the resident asked for erasure on 2026-12-05 (request 2026-041)"})

    @validates_schema
    def _someone(self, data, **_):
        if not any(data.get(k) for k in ("reporter_ref", "phone", "household_id")):
            raise ValidationError("give reporter_ref, phone or household_id", field_name="reporter_ref")


class ErasureOut(Schema):
    erasure_id = fields.String()
    reporter_refs = fields.List(fields.String())
    case_ids = fields.List(fields.String())
    household_ids = fields.List(fields.String())
    keys_destroyed = fields.Integer()
    reason = fields.String(metadata={"description": "as recorded in reporter.erased (personal data masked)"})
    erased_at = fields.String()


class SimilarQuery(Schema):
    grid_id = fields.UUID(required=True)
    content = fields.String(required=True, validate=validate.Length(5, 5000))
    household_id = fields.UUID(load_default=None)


class SimilarOut(Schema):
    basis = fields.String(metadata={"description": "same_household or similar_content"})
    case = fields.Nested(CaseSummary)
