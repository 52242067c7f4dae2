"""Synthetic data for the reporting benchmarks: a county's roster and case lives as audit-log records."""
from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta

RATINGS = ("satisfied", "satisfied", "satisfied", "basically_satisfied", "unsatisfied", None)
CHANNELS = ("hotline", "station", "online", "visit", "meeting", "integration")
CATEGORIES = ("request", "enquiry", "complaint", "suggestion")
DEPARTMENTS = [f"dept-{i:02d}" for i in range(30)]


def _uuid(rng) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Log:
    """Builds records as the audit log stores them (topic, partition, offset, envelope JSON)."""

    def __init__(self):
        self.records, self.offsets = [], {}

    def add(self, rng, topic, event_type, subject, data, time):
        partition = hash(subject) % 3
        offset = self.offsets.get((topic, partition), 0)
        self.offsets[(topic, partition)] = offset + 1
        event_id = _uuid(rng)
        payload = json.dumps({"specversion": "1.0", "id": event_id, "source": "/wangge/bench", "type": event_type,
                              "subject": subject, "time": time, "datacontenttype": "application/json",
                              "dataschema": f"urn:wangge:{event_type}:1", "sequence": 1, "data": data},
                             ensure_ascii=False)
        self.records.append({"topic": topic, "partition": partition, "offset": offset, "event_id": event_id,
                             "event_type": event_type, "source": "/wangge/bench", "subject": subject,
                             "event_time": time, "payload": payload})


def county_log(events: int, seed: int = 7) -> list[dict]:
    """About `events` records: 4 townships, 38 villages, 218 groups, 414 deputies, then case lives of 8 events."""
    rng = random.Random(seed)
    log = Log()
    t0 = datetime(2026, 1, 1)
    grids = []
    for t in range(4):
        town = _uuid(rng)
        log.add(rng, "roster.v1", "grid.created", town, {"grid_id": town, "code": f"T{t}", "name": f"乡镇{t}",
                "level": 1, "parent_id": None, "kind": "rural_village", "households": 5000, "population": 15000,
                "difficulty": 2, "leader": None}, "2026-01-01T00:00:00Z")
        for v in range(10 if t < 2 else 9):
            village = _uuid(rng)
            log.add(rng, "roster.v1", "grid.created", village, {"grid_id": village, "code": f"T{t}-{v}",
                    "name": f"村{t}-{v}", "level": 2, "parent_id": town, "kind": "rural_village", "households": 300,
                    "population": 1000, "difficulty": 2, "leader": None}, "2026-01-01T00:00:00Z")
            grids.append(village)
    deputies = []
    for d in range(414):
        deputy = _uuid(rng)
        deputies.append(deputy)
        log.add(rng, "roster.v1", "deputy.registered", deputy, {"deputy_id": deputy, "kind": "npc_deputy",
                "name": f"代表{d}", "gender": "female", "level": "township", "position": None, "constituency": None,
                "home_grid_id": None, "work_grid_id": None, "specialities": [], "capability": 3,
                "status": "serving"}, "2026-01-01T00:00:00Z")
    for i, g in enumerate(grids):
        log.add(rng, "roster.v1", "assignment.published", g, {"grid_id": g, "plan_id": _uuid(rng), "deputies": [
            {"deputy_id": deputies[(i * 3 + k) % len(deputies)], "kind": "npc_deputy", "level": "township"}
            for k in range(3)]}, "2026-01-01T00:00:00Z")
    while len(log.records) < events:
        case_id = _uuid(rng)
        registered = t0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 320))
        at = lambda hours: (registered + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        department = {"code": rng.choice(DEPARTMENTS), "name": "部门"}
        order = _uuid(rng)
        base = {"case_id": case_id, "reason": "bench"}
        log.add(rng, "cases.v1", "case.registered", case_id, {
            "case_id": case_id, "tracking_code": "WGBENCH000", "channel": rng.choice(CHANNELS),
            "grid_id": rng.choice(grids), "category": rng.choice(CATEGORIES), "topic": "road", "content": "路灯坏了。",
            "urgency": "normal", "special_groups": [], "reporter_ref": None,
            "received_by": {"kind": "call_taker", "id": "b"}, "received_at": at(0), "external_ref": None}, at(0))
        log.add(rng, "cases.v1", "case.triaged", case_id, {**base, "path": "town", "department": department,
                                                            "work_order_id": order, "rule_id": 1}, at(0.1))
        log.add(rng, "cases.v1", "case.assigned", case_id, {**base, "state": "assigned", "previous_state": "triaged",
                "path": "town", "work_orders": [{"work_order_id": order, "department": department, "role": "sole"}]},
                at(0.2))
        hours = rng.uniform(2, 400)
        log.add(rng, "cases.v1", "work_order.answered", case_id, {**base, "work_order_id": order,
                "department": department, "state": "answered", "previous_state": "in_progress", "summary": "已办",
                "on_time": hours < 300, "mediation": None}, at(hours))
        log.add(rng, "cases.v1", "case.answered", case_id, {**base, "state": "answered",
                "previous_state": "in_progress", "on_the_spot": False, "department": department, "summary": "已办",
                "on_time": hours < 300}, at(hours))
        log.add(rng, "cases.v1", "case.replied", case_id, {**base, "state": "resolved", "previous_state": "answered",
                "deputy_id": rng.choice(deputies), "channel": "phone", "on_time": True}, at(hours + 1))
        rating = rng.choice(RATINGS)
        if rating:
            log.add(rng, "cases.v1", "case.evaluated", case_id, {**base, "state": "evaluated",
                    "previous_state": "resolved", "rating": rating, "via": "link", "round": 1,
                    "comment_given": False}, at(hours + 2))
        log.add(rng, "cases.v1", "case.closed", case_id, {**base, "state": "closed", "previous_state": "evaluated",
                "outcome": rating or "not_rated", "on_time": hours < 300, "reopen_count": 0,
                "registered_at": at(0)}, at(hours + 3))
    return log.records[:events]
