"""Roster end to end: a plan published over HTTP reaches the audit log through Kafka, one event per grid."""
from __future__ import annotations

import uuid

from stackhelpers import eventually, publish_group_grid


def test_a_published_plan_reaches_reporting_as_assignment_events(stack, api):
    roster = stack.url("roster")
    made = publish_group_grid(stack, api, code=f"RT-{uuid.uuid4().hex[:6]}", names=("名册集成乡", "名册村", "名册村第一组"),
                              deputy={"name": "李红梅", "gender": "female"})
    group, deputy = made["group"], made["deputy"]

    def create(path, body):
        response = api.post(roster + path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def audited():
        entries = api.get(stack.url("reporting") + "/v1/audit/events", params={"subject": group["id"]}).json()["items"]
        published = [e for e in entries if e["event_type"] == "assignment.published"]
        return published or None

    published = eventually(audited, 30, "reporting records assignment.published for the grid")
    assert published[0]["event"]["data"]["deputies"][0]["deputy_id"] == deputy["id"]
    notice = api.get(f"{roster}/v1/grids/{group['id']}/notice", headers={"Accept": "text/html"})
    # the deputy's mobile is never published, not even masked: without an office or station number, where to go
    assert notice.status_code == 200 and "李红梅" in notice.text and "请到代表联络站当面反映" in notice.text
    assert made["mobile"][-4:] not in notice.text

    # A reception day and a suspension (with its reason) travel the same way.
    schedule = create("/v1/reception-schedules", {"grid_id": group["id"], "pattern": "weekly", "weekday": 3,
                                                   "start_time": "14:30", "end_time": "17:30",
                                                   "rota": [[deputy["id"]]], "weeks": 2})
    reception_id = schedule["published"][0]["id"]
    suspended = api.patch(f"{roster}/v1/deputies/{deputy['id']}", json={"status": "suspended", "reason": "因病暂停"})
    assert suspended.status_code == 200, suspended.text

    def audited_as(subject, event_type):
        def find():
            entries = api.get(stack.url("reporting") + "/v1/audit/events", params={"subject": subject}).json()["items"]
            return [e for e in entries if e["event_type"] == event_type] or None
        return find

    scheduled = eventually(audited_as(reception_id, "reception.scheduled"), 30, "reporting records the reception day")
    assert scheduled[0]["event"]["data"]["deputies"] == [{"deputy_id": deputy["id"], "kind": "npc_deputy"}]
    updated = eventually(audited_as(deputy["id"], "deputy.updated"), 30, "reporting records the suspension")
    assert (updated[-1]["event"]["data"]["status"], updated[-1]["event"]["data"]["reason"]) == ("suspended", "因病暂停")
