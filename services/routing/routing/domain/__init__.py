"""Routing rules (DOMAIN.md, "The closed loop"): the case state machine, triage, deadlines, the escalation
ladder and the policy numbers; pure Python."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from wangge_common.clock import CHINA  # working days are counted on the local calendar
from wangge_common.errors import Conflict

# ---- the case state machine (问题梳理 → 交办办理 → 结果反馈 → 群众评议) ----------------------------------------

OPEN_FOR_ROUTING = ("triaged", "returned", "reopened", "escalated")
TERMINAL = ("closed", "withdrawn")

# (state, action) -> state after. The one table every case change goes through.
TRANSITIONS: dict[tuple[str, str], str] = {}
for _state in OPEN_FOR_ROUTING:
    TRANSITIONS[(_state, "assign")] = "assigned"           # dispatch work orders (catalogue or manual triage)
    TRANSITIONS[(_state, "answer_on_the_spot")] = "answered"  # 能现场解答的现场解答
    TRANSITIONS[(_state, "escalate")] = "escalated"        # major issue, repeated returns or reopenings
TRANSITIONS.update({
    ("registered", "triage"): "triaged",
    ("assigned", "answer_on_the_spot"): "answered",        # before any department signed
    ("assigned", "assign"): "assigned",                    # re-triaged by hand before any department signed
    ("assigned", "sign"): "signed",
    ("reopened", "sign"): "signed",
    ("signed", "start"): "in_progress",
    ("signed", "answer"): "answered",
    ("in_progress", "answer"): "answered",
    ("assigned", "return"): "returned",
    ("signed", "return"): "returned",
    ("in_progress", "return"): "returned",
    ("reopened", "return"): "returned",
    ("assigned", "escalate"): "escalated",
    ("answered", "reply"): "resolved",                     # 谁接待、谁答复: the reporter has the answer
    ("resolved", "rate"): "evaluated",
    ("evaluated", "reopen"): "reopened",                   # 发回重办
    ("evaluated", "escalate"): "escalated",
    ("evaluated", "close"): "closed",
    ("resolved", "close"): "closed",                       # no rating after the return visit: not_rated
    ("escalated", "close"): "closed",                      # the supervising body closes what it took over
})
for _state in ("registered", "triaged", "assigned", "signed", "in_progress", "answered", "resolved", "evaluated",
               "returned", "reopened", "escalated"):
    TRANSITIONS[(_state, "withdraw")] = "withdrawn"

ACTIONS = sorted({action for _, action in TRANSITIONS})


# What a client can do about a case through this API, by the transition it makes: a 409 names only these. Other
# transitions happen inside the service (escalation by rule, reopening by a rating, withdrawal through intake).
CASE_OPERATIONS = {
    "triage": "POST /v1/cases/{id}/triage",
    "assign": "POST /v1/cases/{id}/triage",
    "answer_on_the_spot": "POST /v1/cases/{id}/on-the-spot-answer",
    "reply": "POST /v1/cases/{id}/replies",
    "rate": "POST /v1/cases/{id}/ratings",
    "sign": "POST /v1/work-orders/{id}/sign",
    "start": "POST /v1/work-orders/{id}/start",
    "answer": "POST /v1/work-orders/{id}/answer",
    "return": "POST /v1/work-orders/{id}/return",
}
ORDER_OPERATIONS = {action: CASE_OPERATIONS[action] for action in ("sign", "start", "answer", "return")}


def _allowed_now(transitions: dict, operations: dict, state: str) -> str:
    offered = sorted({operations[a] for (s, a) in transitions if s == state and a in operations})
    return "; ".join(offered) or "nothing through this API"


class IllegalTransition(Conflict):
    """The action is not allowed in the case's current state (409)."""

    def __init__(self, state: str, action: str):
        super().__init__(f"cannot {action.replace('_', ' ')} a case that is {state}; allowed now: "
                         f"{_allowed_now(TRANSITIONS, CASE_OPERATIONS, state)}",
                         errors=[{"field": "state", "reason": f"{state} does not allow {action}"}])
        self.state, self.action = state, action


def next_state(state: str, action: str) -> str:
    """The state after `action`, or IllegalTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(state, action) from None


# ---- work orders (工单) ------------------------------------------------------------------------------------------

ORDER_TRANSITIONS = {
    ("dispatched", "sign"): "signed",
    ("signed", "start"): "in_progress",
    ("signed", "answer"): "answered",
    ("in_progress", "answer"): "answered",
    ("dispatched", "return"): "returned",
    ("signed", "return"): "returned",
    ("in_progress", "return"): "returned",
    ("dispatched", "cancel"): "cancelled",
    ("signed", "cancel"): "cancelled",
    ("in_progress", "cancel"): "cancelled",
}
OPEN_ORDER_STATES = ("dispatched", "signed", "in_progress")


def next_order_state(state: str, action: str) -> str:
    try:
        return ORDER_TRANSITIONS[(state, action)]
    except KeyError:
        raise Conflict(f"cannot {action} a work order that is {state}; allowed now: "
                       f"{_allowed_now(ORDER_TRANSITIONS, ORDER_OPERATIONS, state)}",
                       errors=[{"field": "state", "reason": f"{state} does not allow {action}"}]) from None


# ---- who acts: the first receiver (首问责任人) and the township bodies ----------------------------------------------

PRESIDIUM = {"code": "town-congress-presidium", "name": "镇人大主席团"}
# A county matter goes through the township people's congress, which forwards it to the county department.
TOWNSHIP_CONGRESS = {"code": "town-congress", "name": "镇人大"}


def first_receiver(received_by: dict, grid_deputies: list[tuple[str, str]]) -> str | None:
    """首问责任人 (routing's rule alone): the deputy who received the matter; else the grid's township deputy, else
    any deputy of the grid (`grid_deputies`: (deputy id, level) in deputy id order); else none."""
    if received_by.get("kind") == "deputy":
        try:
            return str(uuid.UUID(received_by["id"]))
        except ValueError:
            return None
    township = [deputy for deputy, level in grid_deputies if level == "township"]
    return (township or [deputy for deputy, _ in grid_deputies] or [None])[0]


def awaiting_forward(order) -> bool:
    """A county order the township congress has not forwarded to its department yet (待转办)."""
    return order.forward_due_at is not None and order.forwarded_at is None and order.state == "dispatched"


# ---- triage against the dispatch catalogue (派单目录) --------------------------------------------------------------

LEVELS = ("town", "county", "major_issue")
PATHS = ("on_the_spot", "town", "county", "joint_mediation", "major_issue", "manual")


@dataclass(frozen=True)
class Rule:
    id: int
    category: str
    topic: str | None
    level: str
    department_code: str
    department_name: str
    priority: int


@dataclass(frozen=True)
class Triage:
    path: str  # town | county | major_issue | manual
    rule: Rule | None
    reason: str


def triage(category: str, topic: str | None, rules: list[Rule], exclude_departments=()) -> Triage:
    """Pick the catalogue line for a case: an exact topic match beats a category-wide line; none → manual queue.

    `exclude_departments` are those that returned the case (退单): re-routing never sends it back to them."""
    candidates = [r for r in rules if r.category == category and (r.topic is None or r.topic == topic)
                  and r.department_code not in exclude_departments]
    if not candidates:
        why = " (every matching department returned it)" if exclude_departments else ""
        return Triage("manual", None, f"no dispatch rule for {category}/{topic or '-'}{why}: manual triage queue")
    best = min(candidates, key=lambda r: (r.topic is None, r.priority, r.id))
    via = " through the township people's congress (镇人大)" if best.level == "county" else ""
    return Triage(best.level, best,
                  f"dispatch rule {best.id}: {category}/{best.topic or '*'} at {best.level} level{via}")


# ---- deadlines ---------------------------------------------------------------------------------------------------

UNITS = ("hours", "days", "working_days")


@dataclass(frozen=True)
class DeadlineRule:
    id: int | None
    category: str | None
    topic: str | None
    urgency: str | None
    amount: int
    unit: str
    priority: str | None = None  # a rule for high-priority cases (special groups) only

    @property
    def name(self) -> str:
        scope = f"{self.category or '*'}/{self.topic or '*'}/{self.urgency or '*'}"
        if self.priority:
            scope += f" priority {self.priority}"
        unit = {"hours": "hours", "days": "days", "working_days": "working days"}[self.unit]
        return f"{scope}: {self.amount} {unit}"


DEFAULT_DEADLINE = DeadlineRule(None, None, None, None, 15, "working_days")


def recorded_deadline(amount: int | None, unit: str | None) -> DeadlineRule:
    """The deadline an order recorded at its dispatch (an order from before they were recorded: the default)."""
    return DeadlineRule(None, None, None, None, amount or DEFAULT_DEADLINE.amount, unit or DEFAULT_DEADLINE.unit)


def derive_priority(urgency: str, special_groups) -> str:
    """Intake's rule, for events written before case.registered carried `priority`: urgent first; a special
    group (低保, 残疾, 孤寡老人, 留守儿童) raises a normal matter to high."""
    if urgency == "urgent":
        return "urgent"
    return "high" if special_groups else "normal"


def pick_deadline(category: str, topic: str | None, urgency: str, rules: list[DeadlineRule],
                  priority: str = "normal") -> DeadlineRule:
    """The most specific matching rule: a rule for the case's priority beats every other (special groups are
    served first), then topic beats category beats urgency-only; no rule → 15 working days."""
    matching = [r for r in rules if (r.category in (None, category)) and (r.topic in (None, topic))
                and (r.urgency in (None, urgency)) and (r.priority in (None, priority))]
    if not matching:
        return DEFAULT_DEADLINE
    return max(matching, key=lambda r: (r.priority is not None, r.topic is not None, r.category is not None,
                                        r.urgency is not None, -(r.id or 0)))


def is_working_day(day: date, calendar: dict[date, str]) -> bool:
    """Monday to Friday unless a holiday; a weekend day listed as a workday (调休) counts."""
    kind = calendar.get(day)
    if kind == "workday":
        return True
    if kind == "holiday":
        return False
    return day.weekday() < 5


def due_at(start: datetime, rule: DeadlineRule, calendar: dict[date, str]) -> datetime:
    """When an order signed at `start` is due under `rule`."""
    if rule.unit == "hours":
        return start + timedelta(hours=rule.amount)
    if rule.unit == "days":
        return start + timedelta(days=rule.amount)
    local = start.astimezone(CHINA)
    day, left = local.date(), rule.amount
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            left -= 1
    return datetime.combine(day, local.timetz()).astimezone(timezone.utc)


def due_soon_at(signed_at: datetime, due: datetime, lead: timedelta) -> datetime:
    """When to warn: `lead` before the deadline, but never earlier than three quarters of the time allowed."""
    return due - min(lead, (due - signed_at) / 4)


# ---- policy numbers and the escalation ladder ----------------------------------------------------------------------

LADDER = ("reminder", "supervision", "escalation")  # 催办 → 督办 → 提级督办


@dataclass(frozen=True)
class Policy:
    """Configurable numbers (WANGGE_ROUTING_* variables, read in settings.py); defaults follow the seeds where they
    give one."""

    due_soon_lead: timedelta = timedelta(hours=24)
    sign_within: timedelta = timedelta(hours=24)         # 签收时限: sign for a dispatched order within this
    forward_within: timedelta = timedelta(hours=24)      # 转办时限: the township congress forwards a county matter
    reminder_after: timedelta = timedelta(hours=24)      # after the deadline: 催办 to the department
    supervision_after: timedelta = timedelta(hours=72)   # after the deadline: 督办 by the township congress
    escalation_after: timedelta = timedelta(hours=168)   # after the deadline: 提级督办 to the level above
    reply_within: timedelta = timedelta(days=3)          # 首问责任: the first receiver answers the reporter
    rating_window: timedelta = timedelta(days=7)         # the link works this long
    return_visit_window: timedelta = timedelta(days=3)   # then a return visit; after it, closed not_rated
    reopen_limit: int = 2                                # 发回重办 at most this often, then escalate
    return_limit: int = 3                                # 退单 this often → escalate

    def ladder_at(self, due: datetime, step: int) -> datetime:
        """When ladder step `step` (1 reminder, 2 supervision, 3 escalation) falls due."""
        return due + (self.reminder_after, self.supervision_after, self.escalation_after)[step - 1]


SUPERVISION_OF_STEP = {"supervision": "township", "escalation": "county"}  # 催办 is a notice to the department only
SUPERVISION_LEVELS = ("township", "county")


def supervision_after(current: str | None, step: str) -> str | None:
    """The supervision an order is under after a ladder step: it only ever moves up (township → county)."""
    new = SUPERVISION_OF_STEP.get(step)
    if new is None or (current == "county" and new == "township"):
        return current
    return new


def ladder_target(step: str, department_name: str, level: str | None) -> str:
    """Who acts on a ladder step, for notify to tell the right people."""
    if step == "reminder":
        return department_name
    if step == "supervision":
        return "镇人大主席团"
    return "县人大常委会" if level == "county" else "县人民政府"


def next_check(order_due: datetime, due_soon: datetime, *, due_soon_marked: bool, overdue_marked: bool,
               step: int, policy: Policy, sign_due: datetime | None = None) -> datetime | None:
    """The next moment the scheduler has something to do for an open order; `sign_due` is a limit still to watch
    (the signing limit of an unsigned order, or the township congress's forwarding limit of a county matter)."""
    later = _next_deadline_check(order_due, due_soon, due_soon_marked=due_soon_marked, overdue_marked=overdue_marked,
                                 step=step, policy=policy)
    if sign_due is not None and (later is None or sign_due < later):
        return sign_due
    return later


def _next_deadline_check(order_due: datetime, due_soon: datetime, *, due_soon_marked: bool, overdue_marked: bool,
                         step: int, policy: Policy) -> datetime | None:
    if not due_soon_marked:
        return due_soon
    if not overdue_marked:
        return order_due
    if step < len(LADDER):
        return policy.ladder_at(order_due, step + 1)
    return None
