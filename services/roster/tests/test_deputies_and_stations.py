"""Deputies' mobiles at rest, ending terms, deletion rules, grid edits against the tree, liaison stations."""
import uuid

from sqlalchemy import text

from .helpers import make_deputy, make_grid, small_township


def test_the_mobile_is_encrypted_at_rest_and_clear_only_for_contacts_read(svc):
    deputy = make_deputy(svc, "李红梅", mobile="13912345678", email="li@example.cn")
    with svc.runtime.db.sessions() as session:
        stored = session.execute(text("SELECT mobile_encrypted, mobile_masked FROM deputies")).one()
    assert "13912345678" not in stored[0] and stored[1] == "139****5678"
    listed = svc.client.get("/v1/deputies", headers=svc.headers()).data.decode()
    assert "13912345678" not in listed and "139****5678" in listed
    contact = svc.client.get(f"/v1/internal/deputies/{deputy}/contact", headers=svc.headers())
    assert contact.json == {"name": "李红梅", "phone": "13912345678", "email": "li@example.cn"}
    assert svc.client.get(f"/v1/internal/deputies/{deputy}/contact", headers=svc.headers("reader")).status_code == 403


def test_a_changed_mobile_is_encrypted_too_and_the_public_phone_follows_the_deputys_choice(svc):
    deputy = make_deputy(svc, "王建国")
    changed = svc.client.patch(f"/v1/deputies/{deputy}", json={"mobile": "15011112222"}, headers=svc.headers()).json
    # the mobile is never published, not even masked: without an office number the notice gives the station's
    assert changed["mobile_masked"] == "150****2222" and changed["public_phone"] is None
    office = svc.client.patch(f"/v1/deputies/{deputy}",
                              json={"office_phone": "0731-55681234", "phone_display": "office"},
                              headers=svc.headers()).json
    assert office["public_phone"] == "0731-55681234"
    contact = svc.client.get(f"/v1/internal/deputies/{deputy}/contact", headers=svc.headers()).json
    assert contact["phone"] == "15011112222"


def _publish(svc, town):
    plan = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": town}, headers=svc.headers()).json
    assert plan["feasible"], plan["violations"]
    svc.client.post(f"/v1/assignment-plans/{plan['id']}/approve", headers=svc.headers())
    assert svc.client.post(f"/v1/assignment-plans/{plan['id']}/publish", headers=svc.headers()).status_code == 200


def test_an_assigned_deputy_cannot_be_deleted_and_ending_the_term_ends_the_assignment(svc):
    town, village, leaves = small_township(svc, groups=1)
    deputy = make_deputy(svc, "李红梅", home=leaves[0])
    _publish(svc, town)
    refused = svc.client.delete(f"/v1/deputies/{deputy}", headers=svc.headers())
    assert refused.status_code == 409 and "end the term instead" in refused.json["detail"]
    ended = svc.client.post(f"/v1/deputies/{deputy}/end", json={"reason": "任期届满", "ended_on": "2026-11-30"},
                            headers=svc.headers())
    assert ended.status_code == 200 and ended.json["status"] == "ended" and ended.json["term_end"] == "2026-11-30"
    types = [e.type for e in svc.outbox()][-2:]
    assert types == ["assignment.ended", "deputy.ended"]
    assert svc.client.get(f"/v1/deputies/{deputy}", headers=svc.headers()).json["end_reason"] == "任期届满"
    again = svc.client.post(f"/v1/deputies/{deputy}/end", json={"reason": "x", "ended_on": "2026-11-30"},
                            headers=svc.headers())
    assert again.status_code == 409
    frozen = svc.client.patch(f"/v1/deputies/{deputy}", json={"name": "改名"}, headers=svc.headers())
    assert frozen.status_code == 409
    still = svc.client.delete(f"/v1/deputies/{deputy}", headers=svc.headers())
    assert still.status_code == 409 and "history" in still.json["detail"]
    report = svc.client.get("/v1/coverage", headers=svc.headers()).json
    assert report["totals"]["grids_without_deputy"] == 1


def test_status_ended_only_through_the_end_endpoint_and_a_mistaken_entry_can_be_deleted(svc):
    deputy = make_deputy(svc, "误录")
    response = svc.client.patch(f"/v1/deputies/{deputy}", json={"status": "ended"}, headers=svc.headers())
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "status"
    make_deputy(svc, "党代表", kind="party_delegate")
    delegates = svc.client.get("/v1/deputies?kind=party_delegate", headers=svc.headers()).json
    assert [d["name"] for d in delegates["items"]] == ["党代表"]
    assert svc.client.delete(f"/v1/deputies/{deputy}", headers=svc.headers()).status_code == 204
    assert svc.outbox()[-1].type == "deputy.removed"
    assert svc.client.get(f"/v1/deputies/{deputy}", headers=svc.headers()).status_code == 404


def test_grid_edits_are_checked_against_the_tree(svc):
    town, village, leaves = small_township(svc, groups=1)
    other_town = make_grid(svc, "T2", 1)
    moved = svc.client.patch(f"/v1/grids/{village}", json={"parent_id": other_town, "households": 900},
                             headers=svc.headers())
    assert moved.status_code == 200 and moved.json["parent_id"] == other_town
    assert svc.outbox()[-1].type == "grid.updated" and svc.outbox()[-1].data["households"] == 900
    cycle = svc.client.patch(f"/v1/grids/{other_town}", json={"parent_id": leaves[0], "level": 4},
                             headers=svc.headers())
    assert cycle.status_code == 422
    under_child = svc.client.patch(f"/v1/grids/{village}", json={"parent_id": leaves[0]}, headers=svc.headers())
    assert under_child.status_code == 422 and "cycle" in under_child.json["errors"][0]["reason"]
    wrong_level = svc.client.patch(f"/v1/grids/{leaves[0]}", json={"parent_id": other_town}, headers=svc.headers())
    assert wrong_level.status_code == 422 and "must sit under a level-2 grid" in wrong_level.json["errors"][0]["reason"]
    with_children = svc.client.patch(f"/v1/grids/{village}", json={"level": 3, "parent_id": village},
                                     headers=svc.headers())
    assert with_children.status_code == 422
    level_only = svc.client.patch(f"/v1/grids/{leaves[0]}", json={"level": 2}, headers=svc.headers())
    assert level_only.status_code == 422 and "must sit under a level-1 grid" in level_only.json["errors"][0]["reason"]
    duplicate = svc.client.patch(f"/v1/grids/{village}", json={"code": "T2"}, headers=svc.headers())
    assert duplicate.status_code == 409


def test_stations_serve_grids_and_announce_changes(svc):
    town, village, leaves = small_township(svc, groups=2)
    body = {"name": "清溪镇人大代表联络站", "tier": "township", "address": "清溪镇政府一楼",
            "opening_hours": "周一至周五 8:30-17:30", "grid_ids": [town, leaves[0]]}
    created = svc.client.post("/v1/stations", json=body, headers=svc.headers())
    assert created.status_code == 201
    assert svc.outbox()[-1].type == "station.created" and svc.outbox()[-1].data["grid_ids"] == [town, leaves[0]]
    station = created.json["id"]
    found = svc.client.get(f"/v1/stations?grid_id={leaves[0]}", headers=svc.headers("reader")).json
    assert [s["id"] for s in found["items"]] == [station]
    svc.client.patch(f"/v1/stations/{station}", json={"grid_ids": [leaves[1]]}, headers=svc.headers())
    assert svc.client.get(f"/v1/stations?grid_id={leaves[0]}", headers=svc.headers()).json["total"] == 0
    assert svc.outbox()[-1].type == "station.updated"
    bad = svc.client.post("/v1/stations", json={**body, "tier": "hq", "grid_ids": [str(uuid.uuid4())]},
                          headers=svc.headers())
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "tier"
    missing = svc.client.post("/v1/stations", json={**body, "grid_ids": [str(uuid.uuid4())]}, headers=svc.headers())
    assert missing.status_code == 422 and missing.json["errors"][0]["field"] == "grid_ids"


def test_the_county_has_one_main_station(svc):
    body = {"name": "韶山市人大代表联络总站", "tier": "main", "address": "韶山市人大常委会一楼"}
    assert svc.client.post("/v1/stations", json=body, headers=svc.headers()).status_code == 201
    second = svc.client.post("/v1/stations", json={**body, "name": "第二总站"}, headers=svc.headers())
    assert second.status_code == 409 and "allows one" in second.json["detail"]
    area = svc.client.post("/v1/stations", json={**body, "name": "片区站", "tier": "area"}, headers=svc.headers()).json
    promoted = svc.client.patch(f"/v1/stations/{area['id']}", json={"tier": "main"}, headers=svc.headers())
    assert promoted.status_code == 409
    assert [e.type for e in svc.outbox()] == ["station.created", "station.created"]


def test_every_roster_endpoint_is_in_the_openapi_document(svc):
    paths = svc.client.get("/openapi.json").json["paths"]
    for path in ("/v1/grids/{grid_id}/notice", "/v1/deputies/{deputy_id}/end", "/v1/stations",
                 "/v1/assignment-plans", "/v1/assignment-plans/{plan_id}/grids/{grid_id}",
                 "/v1/assignment-plans/{plan_id}/approve", "/v1/assignment-plans/{plan_id}/publish", "/v1/coverage",
                 "/v1/assignments", "/v1/reception-schedules", "/v1/reception-days/{reception_id}",
                 "/v1/deputies/{deputy_id}/contact-households", "/v1/contact-households/report",
                 "/v1/imports/{what}", "/v1/exports/{what}", "/v1/internal/deputies/{deputy_id}/contact"):
        assert path in paths, path
    assert paths["/v1/grids/{grid_id}/notice"]["get"]["security"] == []  # public
    assert "text/html" in paths["/v1/grids/{grid_id}/notice"]["get"]["responses"]["200"]["content"]
    bodies = [(path, method, op["requestBody"]["content"]) for path, ops in paths.items() for method, op in ops.items()
              if isinstance(op, dict) and "requestBody" in op]
    assert len(bodies) >= 14
    for path, method, content in bodies:  # every JSON body has an example; the import takes a file
        if "application/json" in content:
            assert "example" in content["application/json"], (method, path)
        else:
            assert path == "/v1/imports/{what}" and "multipart/form-data" in content
