"""The escalation ladder across grids (for the supervisor desk) and the work-order filters that list the orders
behind one of its figures."""
import uuid


def _escalate(svc, step, **changes):
    case_id = svc.register(**changes)
    order = svc.order(case_id, state="dispatched")
    svc.act(order["id"], "supervise", {"step": step, "reason": "群众多次来电反映"})
    return case_id, order["id"]


def test_the_ladder_counts_open_orders_per_grid_and_step_and_lists_the_orders_behind_a_figure(svc):
    other_grid = str(uuid.uuid4())
    _, reminded = _escalate(svc, "reminder")
    _, supervised = _escalate(svc, "supervision")
    _, elsewhere = _escalate(svc, "escalation", grid_id=other_grid)
    calm = svc.register()  # an order never escalated counts nowhere
    reader = svc.headers("reader")
    ladder = svc.client.get("/v1/work-orders/ladder", headers=reader)
    assert ladder.status_code == 200, ladder.json
    grid = svc.case(calm)["grid_id"]
    assert sorted((r["grid_id"], r["step"], r["orders"], r["cases"]) for r in ladder.json) == sorted([
        (grid, "reminder", 1, 1), (grid, "supervision", 1, 1), (other_grid, "escalation", 1, 1)])
    behind = svc.client.get(f"/v1/work-orders?grid_id={grid}&step=supervision&open=true", headers=reader).json
    assert [o["id"] for o in behind["items"]] == [supervised] and behind["total"] == 1
    assert [o["id"] for o in svc.client.get(f"/v1/work-orders?grid_id={other_grid}", headers=reader
                                            ).json["items"]] == [elsewhere]
    # once answered, an order leaves the open ladder but stays in the all-time one
    svc.act(reminded, "sign")
    svc.act(reminded, "start", {"reason": "已安排人员现场查看"})
    svc.act(reminded, "answer", {"summary": "已处理。"})
    steps = {r["step"] for r in svc.client.get("/v1/work-orders/ladder", headers=reader).json if r["grid_id"] == grid}
    assert steps == {"supervision"}
    every = svc.client.get("/v1/work-orders/ladder?open=false", headers=reader).json
    assert {r["step"] for r in every if r["grid_id"] == grid} == {"reminder", "supervision"}
    assert svc.client.get(f"/v1/work-orders?grid_id={grid}&step=reminder&open=false", headers=reader
                          ).json["items"][0]["id"] == reminded


def test_a_persons_token_counts_its_own_grids_only_and_bad_filters_are_refused(svc):
    _escalate(svc, "supervision", grid_id=str(uuid.uuid4()))
    case_id, _ = _escalate(svc, "escalation")
    grid = svc.case(case_id)["grid_id"]
    township = svc.person("staff-1", scopes=["cases:read", "cases:supervise"], grids=[grid])
    rows = svc.client.get("/v1/work-orders/ladder", headers=township).json
    assert [(r["grid_id"], r["step"]) for r in rows] == [(grid, "escalation")]
    assert svc.client.get("/v1/work-orders/ladder").status_code == 401
    bad = svc.client.get("/v1/work-orders?step=shouting&grid_id=not-a-uuid", headers=svc.headers("reader"))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {e["field"] for e in bad.json["errors"]} >= {"step", "grid_id"}
    assert svc.client.get("/v1/work-orders/ladder?open=perhaps", headers=svc.headers("reader")).status_code == 422
