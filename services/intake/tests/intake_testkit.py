"""Shared test data and helpers of intake's tests."""
import uuid

from wangge_common.testing import event


GRID = "6f1c2d4e-0000-4000-8000-000000000001"
OTHER_GRID = "6f1c2d4e-0000-4000-8000-000000000002"
# deputies roster assigned to GRID in the gsvc fixture
DEPUTY, DEPUTY_2 = "d0000000-0000-4000-8000-000000000007", "d0000000-0000-4000-8000-000000000008"
PHONE, ID_NUMBER = "13912345678", "430382199001091234"


def announce_grid(harness, grid_id: str, code: str = "SS-01-01-01") -> None:
    outcome = harness.deliver(event("grid.created", grid_id, {
        "grid_id": grid_id, "code": code, "name": "韶山村第一村民小组", "level": 3, "parent_id": None,
        "kind": "rural_village", "households": 250, "population": 800, "difficulty": 2, "leader": "毛建国"},
        source="/wangge/roster"), "roster.v1")
    assert outcome == "processed"


def announce_deputy(harness, home_grid: str | None = None, deputy_id: str | None = None, status: str = "serving",
                    event_type: str = "deputy.registered") -> str:
    """Roster announces a deputy (living in `home_grid`, if given); returns the deputy's id."""
    deputy_id = deputy_id or str(uuid.uuid4())
    outcome = harness.deliver(event(event_type, deputy_id, {
        "deputy_id": deputy_id, "kind": "npc_deputy", "name": "李红梅", "gender": "female", "level": "township",
        "position": None, "constituency": None, "home_grid_id": home_grid, "work_grid_id": None, "specialities": [],
        "capability": 3, "status": status}, source="/wangge/roster"), "roster.v1")
    assert outcome == "processed"
    return deputy_id


def assign(harness, grid_id: str, *deputy_ids: str) -> None:
    """Roster publishes a plan: these deputies serve the grid."""
    outcome = harness.deliver(event("assignment.published", grid_id, {
        "grid_id": grid_id, "plan_id": str(uuid.uuid4()),
        "deputies": [{"deputy_id": d, "kind": "npc_deputy", "level": "township"} for d in deputy_ids]},
        source="/wangge/roster"), "roster.v1")
    assert outcome == "processed"


def serving_deputy(harness, grid_id: str = GRID) -> str:
    """A deputy roster assigned to the grid."""
    deputy_id = announce_deputy(harness)
    assign(harness, grid_id, deputy_id)
    return deputy_id


def case_body(**changes):
    body = {"channel": "hotline", "grid_id": GRID, "category": "request", "topic": "road",
            "content": "村口路灯坏了三天，晚上出行不便。", "reporter": {"name": "王秀英", "phone": PHONE, "id_number": ID_NUMBER},
            "received_by": {"kind": "call_taker", "id": "ct-04"}}
    body.update(changes)
    return body




def new_id() -> str:
    return str(uuid.uuid4())


def lifecycle(case_id: str, event_type: str, time: str | None = None, **changes):
    """A routing lifecycle event for `case_id`, built from its contract's example."""
    from wangge_common import contracts

    data = {**contracts.registry()[(event_type, 1)].schema["examples"][0], "case_id": case_id, **changes}
    extra = {"time": time} if time else {}
    return event(event_type, case_id, data, source="/wangge/routing", actor="user:routing-clerk", **extra)
