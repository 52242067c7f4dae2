"""The Chinese labels (中文名称) of every code value the event contracts carry: one list for every service, page and
integrator, so a code is never shown to a person and two pages never name one value differently.

These are part of the contracts, like the JSON schemas beside them: adding a code here is a contract change
(see docs/events.md). Pages use `label(kind, code)`, which falls back to the code itself only for a value this
list does not know yet (a newer producer), never raising.
"""
from __future__ import annotations

CATEGORIES = {"request": "求决", "enquiry": "咨询", "complaint": "投诉", "suggestion": "建议"}
CHANNELS = {"hotline": "热线电话", "station": "联络站接待", "online": "网上联络站", "visit": "入户走访",
            "meeting": "网格会议", "integration": "综治中心推送"}
# The topics the starting dispatch catalogue (派单目录) routes; a catalogue line may name a topic outside this list
# (it then shows by its code until a label is added here).
TOPICS = {
    "road": "道路交通", "lighting": "路灯照明", "water": "供水用水", "sanitation": "环境卫生",
    "social_assistance": "社会救助", "elderly_care": "养老服务", "medical_insurance": "医疗保障", "land": "土地",
    "environment": "生态环境", "food_safety": "食品安全", "wages": "劳动工资", "neighbour_dispute": "邻里纠纷",
    "policy": "政策咨询", "legal": "法律服务",
}
URGENCIES = {"normal": "一般", "urgent": "紧急"}
PRIORITIES = {"normal": "一般", "high": "优先", "urgent": "紧急"}
SPECIAL_GROUPS = {"subsistence_allowance": "低保户", "disabled": "残疾人", "elderly_alone": "孤寡老人",
                  "left_behind_child": "留守儿童"}
CASE_STATES = {
    "registered": "已登记", "triaged": "已分办", "assigned": "已交办", "signed": "已签收", "in_progress": "办理中",
    "answered": "已答复", "resolved": "已反馈群众", "evaluated": "已评价", "returned": "已退回",
    "reopened": "发回重办", "escalated": "已升级督办", "closed": "已办结", "withdrawn": "已撤回",
}
WORK_ORDER_STATES = {"dispatched": "待签收", "signed": "已签收", "in_progress": "办理中", "answered": "已答复",
                     "returned": "已退回", "cancelled": "已撤销"}
TRIAGE_PATHS = {"on_the_spot": "现场解答", "town": "镇职能部门办理", "county": "经镇人大转县职能部门办理",
                "joint_mediation": "联合调处", "major_issue": "重大问题处理", "manual": "人工分办"}
RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意", "not_rated": "未评价"}
RECEIVER_KINDS = {"deputy": "人大代表", "call_taker": "话务员", "system": "系统对接", "resident": "群众自主提交"}
DEPUTY_LEVELS = {"national": "全国人大代表", "provincial": "省人大代表", "city": "市人大代表", "county": "县人大代表",
                 "township": "乡镇人大代表"}
DEPUTY_KINDS = {"npc_deputy": "人大代表", "party_delegate": "党代表"}
GRID_LEVELS = {1: "乡镇（街道）网格", 2: "村（社区）网格", 3: "村民小组（小区）网格"}
GRID_KINDS = {"urban_community": "城市社区", "rural_village": "农村村组", "old_estate": "老旧小区",
              "migrant_cluster": "流动人口聚居区", "industrial_park": "产业园区"}
CONTACT_KINDS = {"wealth_leader": "致富带头人", "household_in_difficulty": "困难群众", "respected_figure": "乡贤"}
VISIT_KINDS = {"door_to_door": "入户走访", "contact_household": "联系户走访", "meeting": "座谈会"}
ESCALATION_STEPS = {"reminder": "催办", "supervision": "督办", "escalation": "提级督办",
                    "major_issue": "转入重大问题处理流程"}
ESCALATION_TRIGGERS = {"overdue": "逾期", "returned_repeatedly": "多次退回", "reopened_repeatedly": "多次重办",
                       "unsatisfied": "群众不满意", "manual": "人工督办", "cannot_settle_in_grid": "网格内无法解决"}
REPLY_CHANNELS = {"phone": "电话答复", "visit": "上门答复", "station": "联络站当面答复", "message": "书面（短信）答复",
                  "on_the_spot": "现场答复"}
GENDERS = {"female": "女", "male": "男"}
DEPUTY_STATUSES = {"serving": "在任", "suspended": "暂停履职", "ended": "已终止"}
STATION_TIERS = {"main": "总站", "township": "乡镇（街道）联络站", "area": "片区联络站"}
PHONE_DISPLAYS = {"station": "联络站电话", "office": "本人办公电话", "masked_mobile": "联络站电话"}
PLAN_STATUSES = {"draft": "草稿", "submitted": "待审定", "approved": "已审定", "published": "已公布"}
PLAN_BASES = {"home_or_work": "居住或工作在本网格", "constituency": "原选区", "nearby": "就近", "township": "本乡镇统筹",
              "county": "全县统筹", "party_delegate": "党代表结对", "manual": "人工调整"}
PLAN_RULES = {"too_few_deputies": "网格代表人数不足", "too_many_deputies": "网格代表人数超出上限",
              "no_township_deputy": "网格没有乡镇人大代表", "over_load": "代表联系网格数超出上限",
              "not_serving": "代表不在任", "no_party_delegate": "网格没有党代表",
              "outside_township": "乡镇代表被派到其他乡镇的网格",
              "not_a_plan_grid": "不是本方案范围内的网格", "unknown_deputy": "名册中没有该代表"}
SUPERVISION_LEVELS = {"township": "镇人大主席团督办", "county": "县人大常委会提级督办"}
# Every event type of the contracts (schemas/): how a case's or order's history (办理记录) and the audit log name it.
EVENT_TYPES = {
    "assignment.ended": "派驻结束", "assignment.published": "派驻方案公布", "assignment_plan.approved": "派驻方案批准",
    "case.answered": "办理答复", "case.assigned": "交办", "case.closed": "办结", "case.escalated": "升级督办",
    "case.evaluated": "群众评价", "case.evaluation_requested": "发送评价链接", "case.registered": "登记受理",
    "case.related_confirmed": "确认关联诉求", "case.related_linked": "关联诉求", "case.related_undone": "取消关联诉求",
    "case.reopened": "发回重办", "case.replied": "答复群众", "case.reply_overdue": "答复群众超期", "case.return_visit_due": "待回访",
    "case.returned": "部门退单", "case.signed": "部门签收", "case.started": "开始办理", "case.supplemented": "补充材料",
    "case.triaged": "分办", "case.withdrawn": "撤回", "catalogue.changed": "派单目录与时限规则变更",
    "contact_household.linked": "建立联系户", "contact_household.unlinked": "解除联系户",
    "contact_meeting.recorded": "联系户见面记录", "deputy.ended": "代表终止履职", "deputy.registered": "代表登记",
    "deputy.removed": "代表记录删除", "duty.recorded": "履职登记", "duty.replied": "建议答复",
    "duty.withdrawn": "撤回履职登记", "deputy.updated": "代表信息更新", "grid.created": "网格建立", "grid.updated": "网格更新",
    "household.changed": "户档变更", "notification.failed": "通知发送失败", "notification.gave_up": "通知放弃重试",
    "notification.sent": "通知已发送", "project.completed": "民生微实事完成", "project.funding_decided": "民生微实事资金审批",
    "project.progressed": "民生微实事进展", "project.proposed": "提出民生微实事", "project.rated": "群众评价民生微实事",
    "project.reviewed": "乡镇审核民生微实事", "notify_settings.changed": "通知设置变更",
    "reception.changed": "接待日变更", "reception.scheduled": "接待日安排", "reception_session.recorded": "接待记录",
    "reporter.erased": "反映人信息删除", "station.created": "联络站建立", "station.updated": "联络站更新", "visit.recorded": "走访记录",
    "work_order.answered": "工单办复", "work_order.cancelled": "撤销工单", "work_order.dispatched": "派发工单",
    "work_order.due_soon": "临近期限", "work_order.extension_decided": "延期审批", "work_order.extension_requested": "申请延期",
    "work_order.forward_overdue": "转办超时", "work_order.forwarded": "镇人大转办", "work_order.overdue": "工单逾期",
    "work_order.returned": "退回工单", "work_order.signed": "签收工单", "work_order.signing_overdue": "超时未签收",
    "work_order.started": "开始办理",
}
ORDER_ROLES = {"sole": "独立承办", "lead": "牵头单位", "member": "配合单位"}
DISPATCH_LEVELS = {"town": "镇级", "county": "县级", "major_issue": "重大问题"}
RATING_VIA = {"link": "评价链接", "station": "联络站当面评价", "return_visit": "电话回访", "call_taker": "热线回访"}
DUTY_KINDS = {"suggestion": "建议", "inspection": "视察", "survey": "调研", "themed_activity": "主题活动",
              "forum": "座谈会", "dispute_mediated": "调解纠纷", "household_helped": "帮扶困难群众"}
DUTY_REPLY_OUTCOMES = {"adopted": "采纳办理", "in_progress": "正在办理", "for_reference": "留作参考",
                       "explained": "解释说明"}
PROJECT_STATES = {"proposed": "已提出", "township_approved": "乡镇已审核", "funded": "已立项拨款",
                  "in_progress": "实施中", "completed": "已完成", "refused": "未通过"}
MEDIATION_OUTCOMES = {"agreement": "达成协议", "partial": "部分达成", "no_agreement": "未达成协议"}

VOCABULARIES = {
    "category": CATEGORIES, "channel": CHANNELS, "topic": TOPICS, "urgency": URGENCIES, "priority": PRIORITIES,
    "special_group": SPECIAL_GROUPS, "case_state": CASE_STATES, "work_order_state": WORK_ORDER_STATES,
    "triage_path": TRIAGE_PATHS, "rating": RATINGS, "receiver_kind": RECEIVER_KINDS, "deputy_level": DEPUTY_LEVELS,
    "deputy_kind": DEPUTY_KINDS, "grid_level": GRID_LEVELS, "grid_kind": GRID_KINDS, "contact_kind": CONTACT_KINDS,
    "visit_kind": VISIT_KINDS, "escalation_step": ESCALATION_STEPS, "escalation_trigger": ESCALATION_TRIGGERS,
    "reply_channel": REPLY_CHANNELS, "gender": GENDERS, "deputy_status": DEPUTY_STATUSES,
    "station_tier": STATION_TIERS, "phone_display": PHONE_DISPLAYS, "plan_status": PLAN_STATUSES,
    "plan_basis": PLAN_BASES, "plan_rule": PLAN_RULES, "supervision_level": SUPERVISION_LEVELS,
    "event_type": EVENT_TYPES, "order_role": ORDER_ROLES, "dispatch_level": DISPATCH_LEVELS, "rating_via": RATING_VIA,
    "mediation_outcome": MEDIATION_OUTCOMES, "duty_kind": DUTY_KINDS, "duty_reply_outcome": DUTY_REPLY_OUTCOMES,
    "project_state": PROJECT_STATES,
}


def label(kind: str, code) -> str:
    """The Chinese label of `code` in vocabulary `kind`; the code itself for a value not (yet) in the list, and
    an empty string for no value."""
    if code is None or code == "":
        return ""
    return VOCABULARIES[kind].get(code, str(code))


def labels(kind: str) -> dict:
    """Every code of vocabulary `kind` with its Chinese label, in the list's order (for a form's choices)."""
    return VOCABULARIES[kind]


def as_json() -> dict:
    """Every vocabulary as plain JSON (grid levels keyed by their number as a string), for APIs and docs."""
    return {kind: {str(code): text for code, text in values.items()} for kind, values in VOCABULARIES.items()}
