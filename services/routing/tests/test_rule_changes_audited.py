"""Issue 17, item 13: a change of the dispatch catalogue, the deadline rules or the holiday calendar is an event
(catalogue.changed) with its actor and reason, which reporting's audit log keeps like every other event."""
from datetime import datetime

from routing import domain
from routing.commands import holidays

LINE = {"category": "request", "topic": "bridge", "level": "county", "department_code": "county-transport",
        "department_name": "县交通运输局", "priority": 20, "reason": "桥梁归县交通运输局管养"}


def changes(svc, kind=None):
    return [e for e in svc.outbox() if e.type == "catalogue.changed" and (kind is None or e.data["kind"] == kind)]


def test_catalogue_lines_created_revised_and_retired_are_events_with_actor_and_reason(svc):
    created = svc.post("/v1/dispatch-rules", LINE, expect=201)
    revised = svc.client.put(f"/v1/dispatch-rules/{created['id']}", headers=svc.headers(),
                             json={**LINE, "department_code": "county-highways", "department_name": "县公路事务中心",
                                   "reason": "机构改革后由县公路事务中心负责"}).json
    assert svc.client.delete(f"/v1/dispatch-rules/{revised['id']}?reason=不再单列", headers=svc.headers()).status_code == 200
    made = changes(svc, "dispatch_rule")
    assert [(e.data["action"], e.data["version"], e.data["item"]) for e in made] == [
        ("created", 1, str(created["id"])), ("revised", 2, str(revised["id"])), ("retired", 2, str(revised["id"]))]
    assert all(e.actor == "apikey:all" and e.data["lineage_id"] == created["id"] for e in made)
    # every dispatch line's change on one key: they stay in order, and so do the topic lists intake keeps
    assert all(e.subject == "dispatch-catalogue" and "bridge" in e.data["topics"] for e in made[:2])
    assert made[2].subject == "dispatch-catalogue" and "bridge" not in made[2].data["topics"]
    assert made[1].data["values"]["department_name"] == "县公路事务中心"
    assert made[1].data["reason"] == "机构改革后由县公路事务中心负责" and made[2].data["reason"] == "不再单列"
    assert made[2].data["values"] is None
    # a refused edit (the retired version) changes nothing and says nothing
    assert svc.client.put(f"/v1/dispatch-rules/{created['id']}", headers=svc.headers(), json=LINE).status_code == 409
    assert len(changes(svc, "dispatch_rule")) == 3


def test_deadline_rules_are_audited_too(svc):
    rule = svc.post("/v1/deadline-rules", {"category": "request", "topic": "bridge", "amount": 10,
                                           "unit": "working_days", "reason": "桥梁维修需要招标"}, expect=201)
    (event,) = changes(svc, "deadline_rule")
    assert event.data["values"] == {"category": "request", "topic": "bridge", "urgency": None, "amount": 10,
                                    "unit": "working_days"}
    assert event.data["item"] == str(rule["id"]) and event.data["reason"] == "桥梁维修需要招标"


def test_holiday_changes_and_refreshes_are_audited(svc):
    put = svc.client.put("/v1/holidays/2026-12-07", headers=svc.headers(),
                         json={"kind": "holiday", "name": "县庆", "reason": "县人民政府通知"})
    assert put.status_code == 200, put.json
    assert svc.client.delete("/v1/holidays/2026-12-07?reason=通知撤回", headers=svc.headers()).status_code == 204
    made = changes(svc, "holiday")
    assert [(e.data["action"], e.data["item"], e.data["reason"]) for e in made] == [
        ("set", "2026-12-07", "县人民政府通知"), ("removed", "2026-12-07", "通知撤回")]
    assert made[0].data["values"]["name"] == "县庆" and all(e.actor == "apikey:all" for e in made)
    # the calendar's refresh (the scheduler's job): one event listing every day it changed, then none when nothing
    with svc.runtime.unit_of_work(actor=holidays.ACTOR) as uow:
        changed = holidays.refresh(uow.session, datetime(2026, 12, 6, tzinfo=domain.CHINA), years=[2026], uow=uow)
    (refreshed,) = changes(svc, "holiday_calendar")
    assert changed > 0 and len(refreshed.data["values"]["days"]) == changed
    assert refreshed.actor == holidays.ACTOR and refreshed.data["item"] == "2026-2026"
    assert {"day": "2026-10-01", "kind": "holiday", "name": "国庆节", "source": "chinese-calendar"} in \
        refreshed.data["values"]["days"]
    with svc.runtime.unit_of_work(actor=holidays.ACTOR) as uow:
        assert holidays.refresh(uow.session, datetime(2026, 12, 6, tzinfo=domain.CHINA), years=[2026], uow=uow) == 0
    assert len(changes(svc, "holiday_calendar")) == 1


def test_a_refused_change_is_not_an_event(svc):
    assert svc.client.post("/v1/dispatch-rules", json=LINE, headers=svc.headers("reader")).status_code == 403
    bad = svc.client.put("/v1/holidays/2026-13-40", headers=svc.headers(), json={"kind": "holiday", "name": "x"})
    assert bad.status_code == 422
    assert changes(svc) == []
