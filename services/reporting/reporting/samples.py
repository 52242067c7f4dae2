"""Builders for a case's events shaped as the contracts say: for tests, the benchmarks and the replay checks."""
import copy
import uuid
from datetime import datetime, timedelta

from wangge_common import clock, contracts
from wangge_common.testing import event

REGISTERED = contracts.contract("case.registered", 1).schema["examples"][0]
T0 = datetime(2026, 11, 2, 8, 0)


def at(hours: float) -> str:
    return clock.wire_time(T0 + timedelta(hours=hours), "seconds")


def uid(prefix: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, prefix))


def dept(code):
    return {"code": code, "name": {"d1": "镇村镇建设办", "d2": "镇民政办"}.get(code, code)}


def grid(grid_id, code, name, level, parent_id=None, population=1000):
    return event("grid.created", grid_id, {
        "grid_id": grid_id, "code": code, "name": name, "level": level, "parent_id": parent_id,
        "kind": "rural_village", "households": population // 3, "population": population, "difficulty": 2,
        "leader": None}, source="/wangge/roster")


def deputy(deputy_id, name):
    return event("deputy.registered", deputy_id, {
        "deputy_id": deputy_id, "kind": "npc_deputy", "name": name, "gender": "female", "level": "township",
        "position": "村党支部书记", "constituency": "第三选区", "home_grid_id": None, "work_grid_id": None,
        "specialities": [], "capability": 3, "status": "serving"}, source="/wangge/roster")


class Case:
    """One case's events in order; each method appends one and returns self."""

    def __init__(self, name, grid_id, *, channel="hotline", category="request", special=(), hours=0):
        self.id = uid(name)
        data = copy.deepcopy(REGISTERED)
        data.update(case_id=self.id, grid_id=grid_id, channel=channel, category=category,
                    special_groups=list(special), received_at=at(hours), tracking_code=name.upper()[:10].ljust(10, "X"))
        self.registered_at = at(hours)
        self.events = [self._ev("case.registered", data, hours, source="/wangge/intake")]
        self.state, self.reopens = "registered", 0

    def _ev(self, kind, data, hours, source="/wangge/routing"):
        return event(kind, self.id, data, source=source, time=at(hours))

    def _step(self, kind, state, hours, **data):
        body = {"case_id": self.id, "state": state, "previous_state": self.state, "reason": "test", **data}
        self.state = state
        self.events.append(self._ev(kind, body, hours))
        return self

    def assigned(self, department, hours=1):
        return self._step("case.assigned", "assigned", hours, path="town", work_orders=[
            {"work_order_id": uid(self.id + department), "department": dept(department), "role": "sole"}])

    def answered(self, department, hours=2, mediation=None):
        self.events.append(self._ev("work_order.answered", {
            "case_id": self.id, "work_order_id": uid(self.id + department), "department": dept(department),
            "state": "answered", "previous_state": "in_progress", "reason": "test", "summary": "已办理。",
            "on_time": True, "mediation": mediation}, hours))
        return self._step("case.answered", "answered", hours, on_the_spot=False, department=dept(department),
                          summary="已办理。", on_time=True)

    def replied(self, deputy_id, hours=3, on_time=True):
        """The first receiver tells the reporter; before the answer it is an interim reply and the state stays."""
        state = "resolved" if self.state == "answered" else self.state
        return self._step("case.replied", state, hours, deputy_id=deputy_id, channel="phone", on_time=on_time)

    def evaluated(self, rating, hours=4, round_=1):
        return self._step("case.evaluated", "evaluated", hours, rating=rating, via="link", round=round_,
                          comment_given=False)

    def reopened(self, hours=5):
        self.reopens += 1
        return self._step("case.reopened", "reopened", hours, reopen_count=self.reopens, work_order_id=None)

    def closed(self, outcome, hours, on_time=True):
        return self._step("case.closed", "closed", hours, outcome=outcome, on_time=on_time,
                          reopen_count=self.reopens, registered_at=self.registered_at)

    def withdrawn(self, hours=1):
        return self._step("case.withdrawn", "withdrawn", hours, requested_by="reporter")


def deliver_all(svc, events, topic="cases.v1"):
    for e in events:
        outcome = svc.deliver(e, "roster.v1" if e.source == "/wangge/roster" else topic)
        if outcome != "processed":
            raise AssertionError(f"{e.type} {e.id}: {outcome}")


# The hand-computed county of the KPI tests: three grids in two townships, two deputies, six cases.
T1, T2, G1, G2, G3 = uid("t1"), uid("t2"), uid("g1"), uid("g2"), uid("g3")
P1, P2 = uid("p1"), uid("p2")


def fixture_events():
    """Roster events and six cases: closed satisfied, reopened then basically satisfied (late), closed unrated,
    answered but not replied, just registered, withdrawn."""
    roster = [grid(T1, "T1", "韶山乡", 1), grid(T2, "T2", "清溪镇", 1), grid(G1, "T1-01", "韶山村", 2, T1),
              grid(G2, "T1-02", "永义村", 2, T1), grid(G3, "T2-01", "清溪村", 2, T2), deputy(P1, "李红梅"),
              deputy(P2, "王建国")]
    a = Case("a", G1).assigned("d1").answered("d1").replied(P1).evaluated("satisfied").closed("satisfied", 24)
    b = (Case("b", G1, channel="station", category="complaint").assigned("d1").answered("d1").replied(P1)
         .evaluated("unsatisfied").reopened().answered("d1", 30).replied(P1, 31).evaluated("basically_satisfied", 32, 2)
         .closed("basically_satisfied", 72, on_time=False))
    c = Case("c", G2, channel="online").assigned("d2").answered("d2").replied(P2).closed("not_rated", 48)
    d = Case("d", G2, category="suggestion").assigned("d2").answered("d2")
    e = Case("e", G3)
    f = Case("f", G3).withdrawn()
    return roster, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


