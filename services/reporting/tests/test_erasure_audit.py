"""Erasing a person (crypto-shredding at intake) leaves the audit log whole: the chain and the Merkle tree still
verify, and the log never held the person's data in clear to begin with."""
import pytest
from sqlalchemy import select

from wangge_common.testing import ServiceHarness, event
from intake.app import create_app as create_intake
from intake.service import SPEC as INTAKE
from reporting import commands
from reporting.models import AuditEntry

GRID = "6f1c2d4e-0000-4000-8000-0000000000e1"


@pytest.fixture
def intake(tmp_path):
    (tmp_path / "intake").mkdir()
    harness = ServiceHarness(INTAKE, create_intake, tmp_path / "intake")
    harness.deliver(event("grid.created", GRID, {
        "grid_id": GRID, "code": "SS-09", "name": "韶山村第九村民小组", "level": 3, "parent_id": None,
        "kind": "rural_village", "households": 250, "population": 800, "difficulty": 2, "leader": "毛建国"},
        source="/wangge/roster"), "roster.v1")
    yield harness
    harness.close()


def test_the_chain_and_tree_verify_after_a_reporter_is_erased(svc, intake):
    reporter = {"name": "王秀英", "phone": "13912345678", "email": "wang@example.cn"}
    body = {"channel": "hotline", "grid_id": GRID, "category": "request", "topic": "road",
            "content": "我是王秀英，电话１３９ １２３４ ５６７８，邮箱wang@example.cn，路灯坏了",
            "reporter": reporter, "received_by": {"kind": "call_taker", "id": "ct-04"}}
    case = intake.client.post("/v1/cases", json=body, headers=intake.headers()).json
    intake.client.post(f"/v1/cases/{case['id']}/supplements", headers=intake.headers(),
                       json={"reason": "补充", "content_added": "王秀英的新号码13700001111"})
    seen = 0

    def forward():  # what the relay and reporting's consumer do: every new intake event into the audit log
        nonlocal seen
        events = intake.outbox()
        for e in events[seen:]:
            assert svc.deliver(e, "cases.v1") == "processed"
        seen = len(events)

    forward()
    with svc.runtime.db.transaction() as session:
        commands.sign_checkpoint(session, commands.load_signing_key(commands.new_signing_key()))
    before = svc.client.get("/v1/audit/verify", headers=svc.headers()).json
    assert before["valid"] is True, before

    erased = intake.client.post("/v1/erasures", headers=intake.headers(),
                                json={"reporter_ref": case["reporter"]["reporter_ref"], "reason": "本人申请删除"})
    assert erased.status_code == 201
    forward()
    after = svc.client.get("/v1/audit/verify", headers=svc.headers()).json
    assert after["valid"] is True and after["entries"] == before["entries"] + 1, after
    with svc.runtime.db.reads() as session:
        log = " ".join(e.payload for e in session.scalars(select(AuditEntry)))
    assert "reporter.erased" in log
    for clear in ("王秀英", "秀英", "13912345678", "１３９", "1234 5678", "wang@", "13700001111"):
        assert clear not in log, clear
    assert intake.client.get(f"/v1/cases/{case['id']}/personal", headers=intake.headers()).status_code == 410
