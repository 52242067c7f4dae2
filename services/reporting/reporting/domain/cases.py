"""How events shape a case's figures (the case projection's rules). Pure: the event time is an argument."""
from __future__ import annotations

from wangge_common import clock

RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
CASE_EVENT_PREFIXES = ("case.", "work_order.")
# Intake's events that describe a case without moving it: their `state` is intake's view when they were written.
# The link events are keyed by the link, not the case, so they can arrive after routing's later events; a
# supplement can be written before intake has heard of the triage. Taking their state would move the case back.
STATE_FOLLOWING_EVENTS = frozenset({"case.supplemented", "case.related_linked", "case.related_confirmed",
                                    "case.related_undone"})


def seconds_between(start: str, end: str) -> int:
    """Whole seconds from one ISO time to another."""
    return int((clock.parse_time(end) - clock.parse_time(start)).total_seconds())


def new_case(event_data: dict) -> dict:
    """A case's figures as registered (事一登记)."""
    return {
        "case_id": event_data["case_id"], "tracking_code": event_data.get("tracking_code"),
        "grid_id": event_data["grid_id"], "channel": event_data["channel"],
        "category": event_data["category"], "registered_at": event_data["received_at"],
        "period": event_data["received_at"][:7], "special": bool(event_data.get("special_groups")),
        "state": "registered", "department": None, "department_name": None, "deputy_id": None,
        "answered": False, "answered_on_time": None, "replied": False, "replied_on_time": None,
        "rating": None, "reopen_count": 0, "mediated": False, "closed": False, "outcome": None,
        "on_time": None, "closed_at": None, "handling_s": None, "withdrawn": False,
        "received_by_deputy_id": (event_data["received_by"]["id"]
                                  if (event_data.get("received_by") or {}).get("kind") == "deputy" else None),
    }


def _department(case: dict, department: dict) -> None:
    case["department"], case["department_name"] = department["code"], department["name"]


def _triaged(case: dict, data: dict, event_time: str) -> None:
    case["state"] = "triaged"
    if data.get("department"):
        _department(case, data["department"])


def _assigned(case: dict, data: dict, event_time: str) -> None:
    orders = data["work_orders"]
    lead = next((o for o in orders if o["role"] in ("lead", "sole")), orders[0])
    _department(case, lead["department"])


def _answered(case: dict, data: dict, event_time: str) -> None:
    case["answered"], case["answered_on_time"] = True, data.get("on_time")
    if data.get("on_the_spot"):
        # A deputy answered on the spot (现场解答) and any order was cancelled: no department handled it.
        case["department"] = case["department_name"] = None
    elif data.get("department") and not case["department"]:
        _department(case, data["department"])


def _order_answered(case: dict, data: dict, event_time: str) -> None:
    mediation = data.get("mediation")
    if mediation and mediation["outcome"] in ("agreement", "partial"):
        case["mediated"] = True


def _replied(case: dict, data: dict, event_time: str) -> None:
    # Only a reply that passes an answer on counts for 答复群众率; an interim reply before the answer does not,
    # so the rate (replied answers / answers) never exceeds 100 %.
    if case["answered"]:
        case["replied"], case["replied_on_time"] = True, data["on_time"]
    case["deputy_id"] = data.get("deputy_id") or case["deputy_id"]


def _evaluated(case: dict, data: dict, event_time: str) -> None:
    case["rating"] = data["rating"]  # the latest round counts; an earlier rating stays until re-rated


def _reopened(case: dict, data: dict, event_time: str) -> None:
    case["reopen_count"] = max(case["reopen_count"], data["reopen_count"])
    # 发回重办: a new round of handling, so a new answer and a new reply are due.
    case.update(closed=False, outcome=None, on_time=None, closed_at=None, handling_s=None, answered=False,
                answered_on_time=None, replied=False, replied_on_time=None)


def _withdrawn(case: dict, data: dict, event_time: str) -> None:
    case["withdrawn"] = True


def _closed(case: dict, data: dict, event_time: str) -> None:
    outcome = data["outcome"]
    case.update(outcome=outcome, closed=outcome != "withdrawn", withdrawn=outcome == "withdrawn",
                on_time=data.get("on_time"), closed_at=event_time,
                reopen_count=max(case["reopen_count"], data["reopen_count"]))
    if outcome in RATINGS:
        case["rating"] = outcome
    case["handling_s"] = seconds_between(data.get("registered_at") or case["registered_at"], event_time)


# event type -> what it changes in the case's figures (after the state it carries, see apply_case_event)
CASE_CHANGES = {"case.triaged": _triaged, "case.assigned": _assigned, "case.answered": _answered,
                "work_order.answered": _order_answered, "case.replied": _replied, "case.evaluated": _evaluated,
                "case.reopened": _reopened, "case.withdrawn": _withdrawn, "case.closed": _closed}


def apply_case_event(case: dict, event_type: str, data: dict, event_time: str) -> dict:
    """The case's figures after one later event of its life; returns a new dict (the input is left alone)."""
    case = dict(case)
    if data.get("state") and event_type.startswith("case.") and event_type not in STATE_FOLLOWING_EVENTS:
        case["state"] = data["state"]
    change = CASE_CHANGES.get(event_type)
    if change is not None:
        change(case, data, event_time)
    return case
