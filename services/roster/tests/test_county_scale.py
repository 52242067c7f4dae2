"""County scale (issue 18.4): imports and publication write set-wise — the statements they take do not grow with
the rows — and a batch the database refuses is written row by row, naming the row. Timings: bench/county_bench.py."""
from contextlib import contextmanager

from sqlalchemy import event

from roster.commands import transfer

from .helpers import make_deputy, make_grid
from .test_transfer import upload


@contextmanager
def statements(svc):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(svc.runtime.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(svc.runtime.db.engine, "before_cursor_execute", record)


def grids_csv(prefix: str, villages: int, groups: int) -> bytes:
    lines = ["code,name,level,parent_code,kind,households,population,difficulty"]
    lines.append(f"{prefix},{prefix}镇,1,,rural_village,0,0,1")
    for v in range(villages):
        lines.append(f"{prefix}-{v},{v}村,2,{prefix},rural_village,0,0,1")
        lines += [f"{prefix}-{v}-{g},{g}组,3,{prefix}-{v},rural_village,250,800,2" for g in range(groups)]
    return "\n".join(lines).encode()


def deputies_csv(start: int, count: int, home: str) -> bytes:
    lines = ["name,gender,level,mobile,home_grid_code,position"]
    lines += [f"代表{i},女,乡镇,139{i:08d},{home},村委委员" for i in range(start, start + count)]
    return "\n".join(lines).encode()


def test_importing_new_grids_and_deputies_takes_the_same_statements_for_ten_rows_or_three_hundred(svc):
    counts = {}
    for prefix, villages in (("S", 2), ("L", 12)):  # 2 + 2*4 + 1 = 11 grids, then 12 + 12*24 + 1 = 301
        content = grids_csv(prefix, villages, 4 if prefix == "S" else 24)
        with statements(svc) as seen:
            response = upload(svc, "grids", content, "grids.csv")
        assert response.status_code == 200, response.json
        counts[prefix] = len(seen)
    assert counts["L"] <= counts["S"] + 2, counts  # no statement per row (it took ~5 per row before)
    for prefix, (start, count) in (("S", (0, 10)), ("L", (100, 300))):
        with statements(svc) as seen:
            response = upload(svc, "deputies", deputies_csv(start, count, f"{prefix}-0-0"), "deputies.csv")
        assert response.status_code == 200 and response.json["created"] == count, response.json
        counts["d" + prefix] = len(seen)
    assert counts["dL"] <= counts["dS"] + 2, counts
    registered = [e for e in svc.outbox() if e.type == "deputy.registered"]
    assert len(registered) == 310 and len({e.subject for e in registered}) == 310
    assert all(e.sequence == 1 for e in registered)
    deputy = svc.client.get(f"/v1/deputies/{registered[-1].subject}", headers=svc.headers()).json
    assert deputy["mobile_masked"] == "139****0399" and deputy["status"] == "serving"
    contact = svc.client.get(f"/v1/internal/deputies/{registered[-1].subject}/contact", headers=svc.headers()).json
    assert contact["phone"] == "13900000399"  # sealed as one registration seals it


def test_a_code_taken_while_the_file_was_checked_is_named_and_the_other_rows_go_in(svc):
    rows = [(2, {"code": "A", "name": "甲镇", "level": "1", "kind": "rural_village"}),
            (3, {"code": "A-1", "name": "一村", "level": "2", "parent_code": "A", "kind": "rural_village"}),
            (4, {"code": "A-2", "name": "二村", "level": "2", "parent_code": "A", "kind": "rural_village"})]
    with svc.runtime.db.reads() as session:
        plan = transfer.plan_grids(session, rows)
    assert plan.errors == [] and len(plan.items) == 3
    town = make_grid(svc, "B", 1)
    make_grid(svc, "A-2", 2, town)  # another request takes the code before the rows are written
    with svc.app.app_context(), svc.runtime.unit_of_work(actor="test") as uow:
        created, updated, errors = transfer.write_grids(uow, plan, plan.items)
    assert (created, updated) == (2, 0)
    assert errors == [{"row": 4, "field": "", "column": "", "reason": "编码“A-2”已被另一个网格使用"}]
    codes = {g["code"] for g in svc.client.get("/v1/grids?page_size=100", headers=svc.headers()).json["items"]}
    assert codes == {"A", "A-1", "A-2", "B"}
    assert [e.data["code"] for e in svc.outbox() if e.type == "grid.created"] == ["B", "A-2", "A", "A-1"]


def test_a_grid_placed_under_the_wrong_level_is_refused_in_the_batch_by_row(svc):
    town = make_grid(svc, "T", 1)
    rows = [(2, {"code": "T-1", "name": "一村", "level": "2", "parent_code": "T", "kind": "rural_village"}),
            (3, {"code": "T-1-1", "name": "一组", "level": "3", "parent_code": "T-1", "kind": "rural_village",
                 "households": "250"})]
    with svc.runtime.db.reads() as session:
        plan = transfer.plan_grids(session, rows)
    svc.client.patch(f"/v1/grids/{town}", json={"name": "改名镇"}, headers=svc.headers())
    plan.items[1] = (3, {**plan.items[1][1], "level": 2}, None, "T-1")  # a level-2 grid under a level-2 grid
    with svc.app.app_context(), svc.runtime.unit_of_work(actor="test") as uow:
        created, _, errors = transfer.write_grids(uow, plan, plan.items)
    assert created == 1
    assert errors == [{"row": 3, "field": "parent_id",
                       "column": "parent_id", "reason": "第 2 级网格须位于第 1 级网格之下，不能位于第 2 级之下"}]


def test_publishing_takes_the_same_statements_for_three_grids_or_thirty(svc):
    counts = {}
    for prefix, villages in (("S", 1), ("L", 10)):
        upload(svc, "grids", grids_csv(prefix, villages, 3), "grids.csv")
        grids = svc.client.get("/v1/grids?page_size=100&level=3", headers=svc.headers()).json["items"]
        leaves = [g for g in grids if g["code"].startswith(prefix + "-")]
        for i, leaf in enumerate(leaves):
            make_deputy(svc, f"{prefix}代表{i}", home=leaf["id"])
        town = next(g for g in svc.client.get("/v1/grids?level=1", headers=svc.headers()).json["items"]
                    if g["code"] == prefix)
        plan = svc.client.post("/v1/assignment-plans", json={"scope_grid_id": town["id"]}, headers=svc.headers()).json
        assert plan["feasible"], plan["violations"]
        svc.client.post(f"/v1/assignment-plans/{plan['id']}/approve", headers=svc.headers())
        with statements(svc) as seen:
            response = svc.client.post(f"/v1/assignment-plans/{plan['id']}/publish", headers=svc.headers())
        assert response.status_code == 200
        counts[prefix] = len(seen)
        published = [e for e in svc.outbox() if e.type == "assignment.published" and e.data["plan_id"] == plan["id"]]
        assert len(published) == len(leaves) and all(e.sequence == 2 for e in published)  # after grid.created
    assert counts["L"] == counts["S"], counts
    # the stored numbers follow the last event of each subject (the next event of a grid is numbered after them)
    last = {}
    for e in svc.outbox():
        last[e.subject] = max(last.get(e.subject, 0), e.sequence)
    table = svc.runtime.tables.sequences
    with svc.runtime.db.sessions() as session:
        stored = dict(session.execute(table.select().with_only_columns(table.c.subject, table.c.last_sequence)).all())
    assert stored == last
