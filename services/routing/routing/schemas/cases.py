"""Cases: what a case shows with its history, its list filters, triage by hand, replies, ratings, closing."""
from __future__ import annotations

import json

from marshmallow import Schema, fields, validate

from wangge_common.paging import ChangeFeedArgs, PageArgs

from .. import domain
from .common import CASE_STATES, PRIORITY_FILTER, RATINGS, DepartmentRole, Reason, reason
from .work_orders import WorkOrderOut


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
