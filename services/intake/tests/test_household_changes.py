"""Issue 18 item 9: a household file (一户一档) changes with history and events; its address and notes are
personal data, encrypted at rest under the household's data key."""
import json

from sqlalchemy import select

from intake.models import Household
from intake_testkit import GRID, case_body, new_id

ADDRESS, NOTES = "韶山村第一村民小组12号", "老人腿脚不便，走访请敲后门"


def post(svc, path, body, method="post", key="all"):
    return getattr(svc.client, method)(path, json=body, headers=svc.headers(key))


def open_household(svc, **changes):
    body = {"grid_id": GRID, "address": ADDRESS, "notes": NOTES,
            "members": [{"relation": "户主", "special_groups": []}],
            "contact": {"name": "毛秀兰", "phone": "13700001111"}, **changes}
    response = post(svc, "/v1/households", body)
    assert response.status_code == 201, response.json
    return response.json


def change(svc, household_id, **body):
    return post(svc, f"/v1/households/{household_id}", {"reason": "入户核实", **body}, method="patch")


def test_address_and_notes_are_encrypted_at_rest_and_shown_to_staff(gsvc):
    home = open_household(gsvc)
    assert home["address"] == ADDRESS and home["notes"] == NOTES
    with gsvc.runtime.db.sessions() as session:
        row = session.scalar(select(Household).where(Household.id == home["id"]))
        stored = json.dumps([getattr(row, c.key) for c in Household.__table__.columns], default=str, ensure_ascii=False)
    assert ADDRESS not in stored and "第一村民小组12号" not in stored and "敲后门" not in stored
    assert row.address == "韶山村第一村…"  # only the start stays readable
    read = gsvc.client.get(f"/v1/households/{home['id']}", headers=gsvc.headers("reader")).json
    assert read["address"] == ADDRESS and read["notes"] == NOTES
    # a case given only the address still finds the file's grid (by the keyed hash)
    case = post(gsvc, "/v1/cases", case_body(grid_id=None, location={"address": "韶山村 第一村民小组 12号"})).json
    assert case["grid_id"] == GRID and case["household_id"] == home["id"]


def test_a_part_of_an_address_is_found_within_a_grid_the_whole_address_anywhere(gsvc):
    home = open_household(gsvc)
    open_household(gsvc, address="韶山村第二村民小组7号")

    def found(**query):
        answer = gsvc.client.get("/v1/households", query_string=query, headers=gsvc.headers("reader")).json
        return [h["address"] for h in answer["items"]]

    assert found(grid_id=GRID, address="一组12号") == [] and found(grid_id=GRID, address="第一村民小组 12") == [ADDRESS]
    assert sorted(found(grid_id=GRID, address="村民小组")) == sorted([ADDRESS, "韶山村第二村民小组7号"])
    assert found(grid_id=GRID, address="村民小组", page_size=1, page=2) != []
    assert found(address="第一村民小组") == []  # across every grid: the whole address only
    assert found(address="韶山村，第一村民小组12号") == [ADDRESS]
    mine = gsvc.client.get("/v1/households", query_string={"address": "12号"},
                           headers=gsvc.person("acc-7", grids=[GRID])).json  # a person's grids are searched
    assert [h["id"] for h in mine["items"]] == [home["id"]]


def test_members_flags_contact_and_notes_change_with_history_and_events(gsvc):
    home = open_household(gsvc)
    changed = change(gsvc, home["id"], members=[{"relation": "户主", "special_groups": ["elderly_alone"]}],
                     reason="子女外出务工，老人独居，电话13912345678")
    assert changed.status_code == 200, changed.json
    assert changed.json["special_groups"] == ["elderly_alone"]
    event = [e for e in gsvc.outbox() if e.type == "household.changed"][-1]
    assert event.subject == home["id"] and event.actor == "apikey:all"
    assert event.data["fields"] == ["members", "special_groups"] and event.data["special_groups"] == ["elderly_alone"]
    assert "13912345678" not in event.to_json()
    # the household's next matter is high priority
    assert post(gsvc, "/v1/cases", case_body(household_id=home["id"])).json["priority"] == "high"
    moved = change(gsvc, home["id"], contact={"name": "毛建军", "phone": "13600002222"}, notes="已搬到儿子家",
                   address="韶山村第二村民小组3号", reason="毛秀兰搬到儿子毛建军家")
    assert moved.status_code == 200, moved.json
    assert moved.json["contact"] == {"name": "毛*军", "phone": "136****2222"}
    assert moved.json["address"] == "韶山村第二村民小组3号" and moved.json["notes"] == "已搬到儿子家"
    event = [e for e in gsvc.outbox() if e.type == "household.changed"][-1]
    assert sorted(event.data["fields"]) == ["address", "contact", "notes"]
    for secret in ("13600002222", "毛建军", "毛秀兰", "第二村民小组3号", "已搬到儿子家"):
        assert secret not in event.to_json()
    history = gsvc.client.get(f"/v1/households/{home['id']}/history", headers=gsvc.headers("reader")).json
    assert [sorted(h["fields"]) for h in history] == [["members", "special_groups"], ["address", "contact", "notes"]]
    assert history[0]["reason"] == "子女外出务工，老人独居，电话139****5678" and history[1]["actor"] == "apikey:all"
    # erasure by the new phone finds the household (the key's phone hash followed the change)
    erased = post(gsvc, "/v1/erasures", {"phone": "13600002222", "reason": "本人申请删除"})
    assert erased.status_code == 201 and erased.json["household_ids"] == [home["id"]], erased.json
    after = gsvc.client.get(f"/v1/households/{home['id']}", headers=gsvc.headers("reader")).json
    assert after["address"] == "韶山村第二村…" and after["notes"] is None
    assert change(gsvc, home["id"], notes="再写一笔").status_code == 410


def test_a_change_that_changes_nothing_or_breaks_a_rule_is_refused(gsvc):
    home = open_household(gsvc)
    same = change(gsvc, home["id"], notes=NOTES, address=ADDRESS)
    assert same.status_code == 409 and {e["field"] for e in same.json["errors"]} == {"notes", "address"}
    assert change(gsvc, home["id"]).json["errors"][0]["field"] == "members"
    no_reason = post(gsvc, f"/v1/households/{home['id']}", {"notes": "x"}, method="patch")
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    phone_in_notes = change(gsvc, home["id"], notes="联系电话13912345678")
    assert phone_in_notes.status_code == 422 and phone_in_notes.json["errors"][0]["field"] == "notes"
    assert change(gsvc, new_id(), notes="x").status_code == 404
    assert post(gsvc, f"/v1/households/{home['id']}", {"notes": "x", "reason": "r"}, method="patch",
                key="reader").status_code == 403
    assert [e for e in gsvc.outbox() if e.type == "household.changed"] == []


def test_a_contact_can_be_added_to_a_file_opened_without_one_and_removed(gsvc):
    home = open_household(gsvc, contact=None)
    added = change(gsvc, home["id"], contact={"name": "毛秀兰", "phone": "13700001111"})
    assert added.status_code == 200 and added.json["contact"] == {"name": "毛*兰", "phone": "137****1111"}
    removed = change(gsvc, home["id"], contact=None)
    assert removed.status_code == 200 and removed.json["contact"] is None


def test_a_file_opened_before_encryption_is_sealed_at_its_first_change(gsvc):
    """Files opened before addresses and notes were encrypted (clear address, contact under the service's key)."""
    from datetime import datetime, timezone

    from wangge_common.crypto import FieldCipher
    from intake import domain

    master, household_id, now = FieldCipher(gsvc.settings.pii_key), new_id(), datetime.now(timezone.utc)
    with gsvc.runtime.db.transaction() as session:
        session.add(Household(id=household_id, grid_id=GRID, address=ADDRESS, address_key=domain.address_key(ADDRESS),
                              members=[], special_groups=[], notes=NOTES, created_at=now, updated_at=now,
                              contact_name_enc=master.encrypt("毛秀兰"), contact_phone_enc=master.encrypt("13700001111"),
                              contact_name_masked="毛*兰", contact_phone_masked="137****1111"))
    old = gsvc.client.get(f"/v1/households?address={ADDRESS}", headers=gsvc.headers("reader")).json["items"]
    assert [(h["id"], h["address"], h["notes"]) for h in old] == [(household_id, ADDRESS, NOTES)]
    assert change(gsvc, household_id, members=[{"relation": "户主", "special_groups": ["disabled"]}]).status_code == 200
    with gsvc.runtime.db.sessions() as session:
        row = session.get(Household, household_id)
        assert row.data_key_id is not None and row.notes is None and row.address == "韶山村第一村…"
    read = gsvc.client.get(f"/v1/households/{household_id}", headers=gsvc.headers("reader")).json
    assert (read["address"], read["notes"], read["contact"]["phone"]) == (ADDRESS, NOTES, "137****1111")
    erased = post(gsvc, "/v1/erasures", {"phone": "13700001111", "reason": "本人申请删除"})
    assert erased.status_code == 201 and erased.json["household_ids"] == [household_id], erased.json
