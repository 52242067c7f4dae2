"""Work orders (工单): what an order shows, its list filters, and the bodies of its actions."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from wangge_common.paging import ChangeFeedArgs, PageArgs

from .. import domain
from .common import ORDER_STATES, reason


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
