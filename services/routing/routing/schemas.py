"""Request and response shapes of the routing API."""
import json

from marshmallow import Schema, fields, validate

from wangge_common.schemas import ChangeFeedArgs, PageArgs

from . import domain

CASE_STATES = ("registered", "triaged", "assigned", "signed", "in_progress", "answered", "resolved", "evaluated",
               "closed", "returned", "reopened", "escalated", "withdrawn")
ORDER_STATES = ("dispatched", "signed", "in_progress", "answered", "returned", "cancelled")
CATEGORIES = ("request", "enquiry", "complaint", "suggestion")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
Reason = fields.String(required=True, validate=validate.Length(1, 500),
                       metadata={"description": "why: kept with the event and in the case history"})


def reason(default: str):
    return fields.String(load_default=default, validate=validate.Length(1, 500),
                         metadata={"description": "why: kept with the event and in the case history"})


class Department(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "town-construction"})
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "镇村镇建设办"})


class DepartmentRole(Department):
    role = fields.String(validate=validate.OneOf(("lead", "member")),
                         metadata={"description": "joint mediation only: one lead, the others members"})


# ---- work orders -----------------------------------------------------------------------------------------------

class WorkOrderOut(Schema):
    id = fields.String()
    case_id = fields.String()
    department_code = fields.String()
    department_name = fields.String()
    role = fields.String(metadata={"description": "sole, or lead / member of a joint mediation"})
    priority = fields.String(metadata={"description": "the case's priority: high for special groups (低保, 残疾, "
                                                      "孤寡老人, 留守儿童), urgent, normal"})
    state = fields.String(metadata={"enum": list(ORDER_STATES)})
    rule_id = fields.Integer(allow_none=True)
    deadline_rule = fields.String(allow_none=True, metadata={"example": "request/*/normal: 7 working days"})
    created_at = fields.DateTime()
    signed_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True, metadata={
        "description": "the handling deadline (办理时限), counted from dispatch"})
    sign_due_at = fields.DateTime(allow_none=True, metadata={"description": "sign for the order by then (签收时限)"})
    signing_overdue = fields.Boolean(attribute="sign_overdue_marked",
                                     metadata={"description": "not signed within the signing limit"})
    answered_at = fields.DateTime(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    summary = fields.String(allow_none=True)
    mediation_outcome = fields.String(allow_none=True)
    overdue = fields.Boolean(attribute="overdue_marked")
    escalation_step = fields.Method("_step")
    supervision = fields.String(allow_none=True, metadata={"description": "township (督办) or county (提级督办)"})
    supervisor = fields.String(allow_none=True, metadata={"example": "镇人大主席团"})
    supervised_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(metadata={"description": "when the order last changed (?updated_since=)"})
    extension_requested_due_at = fields.DateTime(allow_none=True)
    extension_reason = fields.String(allow_none=True)
    forward_due_at = fields.DateTime(allow_none=True, metadata={
        "description": "a county matter: the township congress (镇人大) forwards it by then (转办时限); null for an "
                       "order sent to its department directly"})
    forwarded_at = fields.DateTime(allow_none=True, metadata={"description": "when the township congress forwarded it"})
    forwarded_by = fields.String(allow_none=True, metadata={"description": "who forwarded it (the actor)"})
    forward_overdue = fields.Boolean(attribute="forward_overdue_marked",
                                     metadata={"description": "not forwarded within the forwarding limit"})
    awaiting_forward = fields.Method("_awaiting", metadata={
        "description": "waiting for the township congress to forward it (待转办); the department cannot sign yet"})

    def _awaiting(self, order):
        return domain.awaiting_forward(order)

    case = fields.Method("_case", metadata={"description": "in lists: the case's tracking code, category, topic, "
                                                           "urgency and grid"})

    def _case(self, order):
        case = getattr(order, "case", None)
        if case is None:
            return None
        return {k: getattr(case, k) for k in ("tracking_code", "category", "topic", "urgency", "grid_id")}

    def _step(self, order):
        return domain.LADDER[order.escalation_step - 1] if order.escalation_step else None


class WorkOrderQuery(PageArgs, ChangeFeedArgs):
    case_id = fields.UUID()
    priority = fields.String(validate=validate.OneOf(("normal", "high", "urgent")),
                             metadata={"description": "the case's priority; high: special groups"})
    department = fields.String(validate=validate.Length(1, 40), metadata={"description": "department code"})
    state = fields.String(validate=validate.OneOf(ORDER_STATES))
    due_before = fields.AwareDateTime(metadata={"description": "only orders due before this moment"})
    overdue = fields.Boolean(metadata={"description": "only orders marked overdue (or only those not)"})
    supervision = fields.String(validate=validate.OneOf(domain.SUPERVISION_LEVELS), metadata={
        "description": "only orders under 督办 by the township presidium (township) or 提级督办 (county)"})
    awaiting_forward = fields.Boolean(metadata={
        "description": "true: county matters the township congress (镇人大) still has to forward (its 待转办 list)"})
    due_soon = fields.Boolean(metadata={"description": "true: only orders marked due soon (临期) and not yet overdue"})
    extension_pending = fields.Boolean(metadata={"description": "true: only orders whose extension request awaits "
                                                                "a decision"})
    sort = fields.String(load_default="created", validate=validate.OneOf(("created", "due")),
                         metadata={"description": "created (oldest first) or due (soonest deadline first)"})
    grid_id = fields.UUID(metadata={"description": "only orders of cases in this grid"})
    step = fields.String(validate=validate.OneOf(domain.LADDER), metadata={
        "description": "only orders at this escalation step: reminder 催办, supervision 督办, escalation 提级督办"})
    open = fields.Boolean(metadata={"description": "only orders still with the department (dispatched, signed, "
                                                   "in progress), or only those not"})


class LadderQuery(Schema):
    open = fields.Boolean(load_default=True, metadata={
        "description": "count only orders still with the department (default), or every order ever escalated"})


class LadderRowOut(Schema):
    grid_id = fields.String(metadata={"description": "the grid of the orders' cases"})
    step = fields.String(metadata={"enum": list(domain.LADDER)})
    orders = fields.Integer()
    cases = fields.Integer()


class OrderCountsOut(Schema):
    states = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"example": {"dispatched": 3, "signed": 1, "in_progress": 4, "answered": 20,
                                               "returned": 1, "cancelled": 0}})
    due_soon = fields.Integer(metadata={"description": "open orders marked due soon (临期), not yet overdue"})
    overdue = fields.Integer(metadata={"description": "open orders marked overdue"})
    extension_pending = fields.Integer(metadata={"description": "open orders whose extension request awaits a "
                                                                "decision"})


class OrderCountsQuery(Schema):
    department = fields.String(validate=validate.Length(1, 40), metadata={"description": "department code"})


class SuperviseIn(Schema):
    step = fields.String(required=True, validate=validate.OneOf(domain.LADDER),
                         metadata={"description": "reminder 催办, supervision 督办, escalation 提级督办"})
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "群众多次来电反映"})


class ForwardIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={
        "description": "why and how the township congress forwards it: kept with the event and in the case history",
        "example": "已核实情况，转县市场监督管理局办理"})


class SignIn(Schema):
    reason = reason("signed by the department (签收)")


class StartIn(Schema):
    reason = reason("handling started")


class Mediation(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("agreement", "partial", "no_agreement")))
    mediators = fields.List(fields.String(validate=validate.Length(1, 100)), required=True,
                            validate=validate.Length(min=1), metadata={"example": ["张调解员", "李律师"]})


class AttachmentRef(Schema):
    id = fields.String(required=True, validate=validate.Length(1, 64))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    media_type = fields.String(required=True, validate=validate.OneOf(("image/jpeg", "image/png")))
    size = fields.Integer(required=True, validate=validate.Range(1, 5 * 1024 * 1024))


class AnswerIn(Schema):
    summary = fields.String(required=True, validate=validate.Length(1, 2000), metadata={"example": "已更换路灯灯泡。"})
    attachments = fields.List(fields.Nested(AttachmentRef), load_default=list, validate=validate.Length(max=3),
                              metadata={"description": "photos of the work done, stored first at intake "
                                                       "(POST /v1/attachments); kept with the answer's event"})
    reason = reason("answer recorded")
    mediation = fields.Nested(Mediation, load_default=None, allow_none=True,
                              metadata={"description": "the lead department of a joint mediation records the "
                                                       "mediated outcome here; it resolves the case"})


class MediationOutcomeIn(Mediation):
    summary = fields.String(required=True, validate=validate.Length(1, 2000),
                            metadata={"example": "双方达成调解协议，道路恢复通行。"})
    reason = reason("mediated outcome recorded by the lead department")


class ReturnIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500),
                           metadata={"example": "不属于本部门职责：该道路属县交通运输局管养"})


class ExtensionIn(Schema):
    requested_due_at = fields.AwareDateTime(required=True, metadata={"example": "2026-12-10T09:00:00+08:00"})
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "需等待配件到货"})


class ExtensionDecisionIn(Schema):
    approved = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "理由充分，同意延期"})


# ---- cases -------------------------------------------------------------------------------------------------------

class TransitionOut(Schema):
    event_type = fields.String(metadata={"example": "case.assigned"})
    event_id = fields.String()
    state = fields.String(allow_none=True)
    previous_state = fields.String(allow_none=True)
    work_order_id = fields.String(allow_none=True)
    actor = fields.String(metadata={"example": "apikey:town-construction"})
    reason = fields.String()
    at = fields.DateTime()
    details = fields.Function(lambda row: json.loads(row.details))


class CaseOut(Schema):
    case_id = fields.String()
    tracking_code = fields.String(allow_none=True)
    grid_id = fields.String()
    category = fields.String()
    topic = fields.String(allow_none=True)
    urgency = fields.String()
    priority = fields.String(metadata={"enum": ["normal", "high", "urgent"],
                                       "description": "high: a special group (低保, 残疾, 孤寡老人, 留守儿童)"})
    state = fields.String(metadata={"enum": list(CASE_STATES)})
    path = fields.String(allow_none=True, metadata={"enum": list(domain.PATHS)})
    registered_at = fields.DateTime()
    first_receiver_deputy_id = fields.String(allow_none=True)
    reply_due_at = fields.DateTime(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    return_count = fields.Integer()
    reopen_count = fields.Integer()
    evaluation_round = fields.Integer()
    on_time = fields.Boolean(allow_none=True)
    outcome = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(metadata={"description": "when the case last changed here (?updated_since=)"})


class CaseDetailOut(CaseOut):
    work_orders = fields.List(fields.Nested(WorkOrderOut))
    history = fields.List(fields.Nested(TransitionOut), metadata={"description": "every change, oldest first"})


PRIORITY_FILTER = dict(validate=validate.OneOf(("normal", "high", "urgent")),
                       metadata={"description": "high: special groups (低保, 残疾, 孤寡老人, 留守儿童); urgent; normal"})


class CaseQuery(PageArgs, ChangeFeedArgs):
    state = fields.String(validate=validate.OneOf(CASE_STATES))
    priority = fields.String(**PRIORITY_FILTER)
    grid_id = fields.UUID()
    first_receiver = fields.UUID(metadata={"description": "cases whose first receiver (首问责任人) is this deputy"})
    queue = fields.String(validate=validate.OneOf(("manual",)),
                          metadata={"description": "manual: cases waiting for manual triage (no open work order)"})
    path = fields.String(validate=validate.OneOf(domain.PATHS),
                         metadata={"description": "only cases on this path, e.g. major_issue (重大问题处理流程)"})
    open = fields.Boolean(metadata={"description": "true: only cases not closed or withdrawn; false: only those"})


class TriageIn(Schema):
    path = fields.String(required=True, validate=validate.OneOf(("town", "county", "joint_mediation",
                                                                 "major_issue")))
    departments = fields.List(fields.Nested(DepartmentRole), load_default=list)
    mediators = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                            metadata={"description": "joint mediation: mediators (人民调解员) and legal-service workers"})
    convenor_deputy_id = fields.UUID(load_default=None, allow_none=True,
                                     metadata={"description": "joint mediation: the deputy who convenes it"})
    reason = Reason

    class Meta:
        example = {"path": "joint_mediation", "reason": "涉及多个部门的土地纠纷",
                   "departments": [{"code": "town-legal-service", "name": "镇司法所", "role": "lead"},
                                   {"code": "town-construction", "name": "镇村镇建设办", "role": "member"},
                                   {"code": "county-natural-resources", "name": "县自然资源局", "role": "member"}],
                   "mediators": ["张调解员", "李律师"], "convenor_deputy_id": "d0000000-0000-4000-8000-000000000007"}


class SuggestionOut(Schema):
    path = fields.String(metadata={"enum": ["town", "county", "major_issue", "manual"]})
    rule_id = fields.Integer(allow_none=True)
    department_code = fields.String(allow_none=True)
    department_name = fields.String(allow_none=True)
    reason = fields.String(metadata={"example": "dispatch rule 7: request/road at town level"})
    returned_by = fields.List(fields.String(), metadata={"description": "departments that returned the case (退单): "
                                                                        "never suggested again"})


class OnTheSpotIn(Schema):
    deputy_id = fields.UUID(required=True, metadata={"description": "the receiving deputy"})
    summary = fields.String(required=True, validate=validate.Length(1, 2000),
                            metadata={"example": "已现场解释低保申请流程及所需材料。"})
    reason = reason("answered on the spot by the receiving deputy (现场解答)")


class ReplyIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(("phone", "visit", "station", "message",
                                                                    "on_the_spot")))
    deputy_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "default: the case's first receiver"})
    reason = fields.String(required=True, validate=validate.Length(1, 500), metadata={"example": "电话告知处理结果"})


class StaffRatingIn(Schema):
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))
    via = fields.String(required=True, validate=validate.OneOf(("station", "return_visit", "call_taker")))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000))


class CloseIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("unsatisfied", "not_rated")),
                            metadata={"description": "staff never record satisfaction on a resident's behalf"})
    reason = Reason


# ---- residents' evaluation (群众评议) -------------------------------------------------------------------------------

class EvaluationOut(Schema):
    tracking_code = fields.String(allow_none=True)
    category = fields.String()
    topic = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True, metadata={"example": "镇村镇建设办"})
    answer_summary = fields.String(allow_none=True)
    round = fields.Integer()
    expires_at = fields.DateTime()
    open = fields.Boolean(metadata={"description": "whether a rating can still be given through this link"})
    status = fields.String(metadata={"enum": ["open", "used", "expired", "closed"]})
    rating = fields.String(allow_none=True)


class EvaluationIn(Schema):
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000))

    class Meta:
        example = {"rating": "satisfied", "comment": "处理及时，谢谢！"}


# ---- catalogue, deadlines and holidays -----------------------------------------------------------------------------

class DispatchRuleIn(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 60),
                          metadata={"description": "null: every topic of the category"})
    level = fields.String(required=True, validate=validate.OneOf(domain.LEVELS))
    department_code = fields.String(required=True, validate=validate.Length(1, 40))
    department_name = fields.String(required=True, validate=validate.Length(1, 100))
    priority = fields.Integer(load_default=100, validate=validate.Range(0, 10000))
    reason = Reason

    class Meta:
        example = {"category": "request", "topic": "bridge", "level": "county", "department_code": "county-transport",
                   "department_name": "县交通运输局", "priority": 20, "reason": "桥梁归县交通运输局管养"}


class VersionFields(Schema):
    id = fields.Integer()
    lineage_id = fields.Integer(metadata={"description": "the same for every version of one line"})
    version = fields.Integer()
    active = fields.Boolean()
    changed_by = fields.String(allow_none=True)
    change_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    retired_at = fields.DateTime(allow_none=True)


class DispatchRuleOut(VersionFields):
    category = fields.String()
    topic = fields.String(allow_none=True)
    level = fields.String()
    department_code = fields.String()
    department_name = fields.String()
    priority = fields.Integer()


class DeadlineRuleIn(Schema):
    category = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CATEGORIES))
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("high",)), metadata={
        "description": "high: the rule is for special groups' cases only, and beats every rule without it"})
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 60))
    urgency = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("normal", "urgent")))
    amount = fields.Integer(required=True, validate=validate.Range(1, 1000))
    unit = fields.String(required=True, validate=validate.OneOf(domain.UNITS))
    reason = Reason

    class Meta:
        example = {"category": None, "topic": "safety", "urgency": "urgent", "amount": 2, "unit": "hours",
                   "reason": "紧急安全隐患2小时内处置"}


class DeadlineRuleOut(VersionFields):
    category = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    topic = fields.String(allow_none=True)
    urgency = fields.String(allow_none=True)
    amount = fields.Integer()
    unit = fields.String()


class CatalogueQuery(Schema):
    include_retired = fields.Boolean(load_default=False)


class RetireQuery(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class HolidayIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("holiday", "workday")),
                         metadata={"description": "holiday: no work that day; workday: a weekend working day (调休)"})
    name = fields.String(required=True, validate=validate.Length(1, 100), metadata={"example": "国庆节"})
    reason = fields.String(load_default=None, validate=validate.Length(1, 500),
                           metadata={"example": "县政府通知：2027年春节假期调整"})


class HolidayOut(Schema):
    day = fields.Date()
    kind = fields.String(metadata={"description": "holiday, workday (调休), or weekday: a local entry saying the "
                                                  "day counts by its weekday although the seed lists it"})
    name = fields.String(metadata={"example": "国庆节"})
    source = fields.String(metadata={"description": "local (entered here; refreshes never change it), "
                                                    "chinese-calendar (the State Council's arrangement), statutory "
                                                    "(provisional: the law's days for a year the package lacks)"})
    reason = fields.String(allow_none=True)
    changed_by = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class HolidayChangeOut(Schema):
    id = fields.Integer()
    day = fields.Date()
    kind = fields.String(metadata={"description": "holiday, workday, weekday, or removed"})
    name = fields.String(allow_none=True)
    source = fields.String()
    actor = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class HolidayRemoval(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(1, 500))


class HolidayRefreshOut(Schema):
    changed = fields.Integer(metadata={"description": "days added, changed or removed by the refresh"})
    years = fields.List(fields.Integer())


class HolidayQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))
