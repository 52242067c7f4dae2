"""Import and export of grids and deputies as CSV or XLSX, in the shape township offices keep in spreadsheets.

Every row is validated; the answer lists each bad row with its reasons (in Chinese, with the column's Chinese
heading). A file with a bad row changes nothing unless the caller asks to import the good rows. Rows are matched
to the roster before anything is written, so importing the same file twice changes nothing: grids by external id,
else code; deputies by id, else external id, else ID number, else mobile (the same person is updated, never
registered twice). Export writes the same columns, so an export can be edited and re-imported.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import select

from wangge_common.errors import DomainError, Invalid
from wangge_common.http import runtime as current_runtime
from wangge_common.outbox import UnitOfWork
from wangge_common.problems import field_errors

from ..importrules import DEPUTY_COLUMNS, DEPUTY_IMPORT_ONLY, DEPUTY_VALUES, GRID_COLUMNS, GRID_VALUES, clean, row_error
from ..models import Deputy, Grid
from ..schemas.deputies import DeputyIn, DeputyPatch
from ..schemas.grids import GridIn, GridPatch
from . import bulk_writes
from .deputies import register_deputy, update_deputy
from .grids import create_grid, update_grid


GRID_IN, GRID_PATCH, DEPUTY_IN, DEPUTY_PATCH = GridIn(), GridPatch(partial=True), DeputyIn(), DeputyPatch(partial=True)
SAME_PERSON_ZH = {"external_id": "外部编号", "id_number": "身份证号", "mobile": "手机号"}


def _load(what: str, number: int, schema, data: dict) -> tuple[dict | None, list[dict]]:
    try:
        return schema.load(data), []
    except ValidationError as exc:
        return None, [row_error(what, number, e["field"], e["reason"]) for e in field_errors(exc.messages)]


@dataclass
class Plan:
    """An import checked against the schemas and the roster, before any write: rows to write and bad rows."""

    what: str
    rows: int
    # (row number, loaded data, existing id or None, reference: a grid's parent code, or how a deputy was matched)
    items: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    ids: dict = field(default_factory=dict)  # grid code -> id, as known when writing
    outcomes: list = field(default_factory=list)  # {row, action, id, label} of each row written
    levels: dict | None = None  # grid id -> level, read when the first new grids are written (bulk_writes)


def plan_grids(session, rows: list[tuple[int, dict]], clock=None) -> Plan:
    """Check grid rows, parents before children; codes in the file or already on the roster may be parents.
    A row is the grid with its external id, else its code. Reads only: runs outside the write transaction."""
    plan = Plan("grids", len(rows), ids=dict(session.execute(select(Grid.code, Grid.id)).all()))
    by_external = dict(session.execute(select(Grid.external_id, Grid.id).where(Grid.external_id.is_not(None))).all())
    valid_codes, seen, seen_external = set(plan.ids), {}, {}
    for index, (number, row) in enumerate(sorted(rows, key=lambda r: _level_key(r[1]))):
        if clock is not None and index % 500 == 0:
            clock.check("checking the rows")
        data = clean(row, GRID_COLUMNS, ("parent_code",), GRID_VALUES)
        code, external = data.get("code"), data.get("external_id")
        repeated = _repeated_grid_row(number, code, external, seen, seen_external)
        if repeated:
            plan.errors.append(repeated)
            continue
        seen[code], seen_external[external] = number, number
        parent_code = row.get("parent_code")
        existing, problems = _grid_row_target(plan, by_external, valid_codes, number, code, external, parent_code)
        loaded, invalid = _load("grids", number, GRID_PATCH if existing else GRID_IN, data)
        problems += invalid
        if problems:
            plan.errors += problems
            continue
        valid_codes.add(loaded.get("code", code))
        plan.items.append((number, loaded, existing, None if parent_code is None else str(parent_code)))
    return plan


def _repeated_grid_row(number: int, code, external, seen: dict, seen_external: dict) -> dict | None:
    """The error of a row whose code or external id an earlier row of the file already has."""
    if code is not None and code in seen:
        return row_error("grids", number, "code", f"编码“{code}”与第 {seen[code]} 行重复")
    if external is not None and external in seen_external:
        return row_error("grids", number, "external_id", f"外部编号“{external}”与第 {seen_external[external]} 行重复")
    return None


def _grid_row_target(plan: Plan, by_external: dict, valid_codes: set, number: int, code, external,
                     parent_code) -> tuple[str | None, list]:
    """(the grid a row updates, or None for a new one; the row's problems with its parent and its keys)."""
    problems = []
    if parent_code is not None and str(parent_code) not in valid_codes:
        problems.append(row_error("grids", number, "parent_code",
                                  f"上级编码“{parent_code}”在名册和本文件的有效行中都找不到"))
    existing = by_external.get(external) if external is not None else None
    by_code = plan.ids.get(str(code)) if code is not None else None
    if existing and by_code and by_code != existing:
        problems.append(row_error("grids", number, "code", f"外部编号“{external}”对应的网格与编码“{code}”"
                                                           "对应的网格不是同一个"))
    return existing or by_code, problems


def _counted(uow: UnitOfWork, plan: Plan, number: int, label: str, write, matched_by: str | None = None) -> str:
    """Run one row's write; record whether it created, changed (an event went out) or left the record as it was."""
    before = len(uow.emitted)
    record, created = write()
    action = "created" if created else ("updated" if len(uow.emitted) > before else "unchanged")
    plan.outcomes.append({"row": number, "action": action, "id": record.id, "label": label,
                          **({"matched_by": matched_by} if matched_by and not created else {})})
    return action


def write_grids(uow: UnitOfWork, plan: Plan, items: list) -> tuple[int, int, list]:
    """Write checked grid rows in the caller's transaction; a row a rule refuses is rolled back alone. New grids
    go in set-wise, a run of them at a time (bulk_writes); updates one by one."""
    session, counts, errors = uow.session, {"created": 0, "updated": 0, "unchanged": 0}, []
    for new, run in _runs(items):
        if new:
            try:
                made, refused = bulk_writes.create_grids(uow, plan, run)
            except bulk_writes.BatchRefused:
                pass  # row by row below, to name the row the database refuses
            else:
                _created(plan, counts, [(n, g.id, f"{g.code} {g.name}".strip(), None) for n, g in made])
                errors += refused
                continue
        for number, loaded, existing, parent_code in run:
            loaded = dict(loaded)
            if parent_code is not None and parent_code not in plan.ids:  # its parent's row was refused
                errors.append(row_error("grids", number, "parent_code", f"上级网格“{parent_code}”未能导入"))
                continue
            if parent_code is not None or not existing:
                loaded["parent_id"] = plan.ids.get(parent_code) if parent_code is not None else None

            def write(loaded=loaded, existing=existing):
                if existing:
                    return update_grid(uow, existing, loaded), False
                return create_grid(uow, loaded), True
            try:
                with session.begin_nested():
                    label = f"{loaded.get('code', '')} {loaded.get('name', '')}".strip()
                    counts[_counted(uow, plan, number, label, write)] += 1
                    if "code" in loaded:
                        plan.ids[loaded["code"]] = plan.outcomes[-1]["id"]
            except DomainError as exc:
                errors += _row_errors("grids", number, exc)
    if counts["updated"]:
        plan.levels = None  # an update may have moved a grid: read the levels again for the next new ones
    return counts["created"], counts["updated"], errors


def _created(plan: Plan, counts: dict, rows: list) -> None:
    """Record rows a set-wise write created: (row number, id, label, matched_by)."""
    for number, record_id, label, _ in rows:
        plan.outcomes.append({"row": number, "action": "created", "id": record_id, "label": label})
    counts["created"] += len(rows)


def _runs(items: list):
    """Consecutive rows that are all new (no existing id) or all updates, in file order: (new?, rows)."""
    run, new = [], None
    for item in items:
        is_new = item[2] is None
        if run and is_new != new:
            yield new, run
            run = []
        run.append(item)
        new = is_new
    if run:
        yield new, run


def _level_key(row: dict):
    try:
        return int(row.get("level") or 9)
    except (TypeError, ValueError):
        return 9


class _People:
    """The roster's deputies by every key that names a person: id, external id, ID number and mobile hashes."""

    def __init__(self, session):
        rows = session.execute(select(Deputy.id, Deputy.external_id, Deputy.id_number_hash, Deputy.mobile_hash)).all()
        self.ids = {r.id for r in rows}
        self.external = {r.id: r.external_id for r in rows}
        self.by = {"external_id": {r.external_id: r.id for r in rows if r.external_id},
                   "id_number": {r.id_number_hash: r.id for r in rows if r.id_number_hash},
                   "mobile": {r.mobile_hash: r.id for r in rows if r.mobile_hash}}
        self.cipher = current_runtime().state.cipher

    def keys(self, data: dict) -> list[tuple[str, str]]:
        return [(name, value) for name, value in (
            ("external_id", data.get("external_id")), ("id_number", self.cipher.lookup_hash(data.get("id_number"))),
            ("mobile", self.cipher.lookup_hash(data.get("mobile")))) if value]


def _match_deputy(people: _People, number: int, deputy_id: str | None, data: dict, seen: dict
                  ) -> tuple[str | None, str | None, list[dict]]:
    """Which deputy a row is (None: a new one), by which key (id, external_id, id_number or mobile), and why it
    cannot be decided: the same person twice in the file, or keys naming two different deputies."""
    problems, matched = [], {}
    for name, value in people.keys(data):
        if (name, value) in seen:
            problems.append(row_error("deputies", number, name, f"{SAME_PERSON_ZH[name]}与第 {seen[name, value]} 行"
                                                                "相同：同一人只能登记一次"))
        seen.setdefault((name, value), number)
        if value in people.by[name]:
            matched[name] = people.by[name][value]
    if deputy_id and deputy_id not in people.ids:
        problems.append(row_error("deputies", number, "id", f"名册中没有 ID 为 {deputy_id} 的代表（新登记请留空）"))
    candidates = set(matched.values()) | ({deputy_id} if deputy_id else set())
    if len(candidates) > 1:
        named = "、".join(f"{SAME_PERSON_ZH.get(k, k)}→{v}" for k, v in sorted(matched.items()))
        problems.append(row_error("deputies", number, next(iter(matched)),
                                  f"这一行的各项指向名册中不同的代表（{named}），无法确定是哪一位"))
    target = next(iter(candidates)) if len(candidates) == 1 else None
    matched_by = ("id" if deputy_id else next(iter(matched))) if target else None  # the strongest key naming it
    if target and data.get("external_id") and people.external.get(target) not in (None, data["external_id"]):
        problems.append(row_error("deputies", number, "external_id", f"与名册中的代表 {target} 是同一人，但外部编号"
                                                                     f"不同（名册中为“{people.external[target]}”）"))
    return target, matched_by, problems


def plan_deputies(session, rows: list[tuple[int, dict]], clock=None) -> Plan:
    """Check deputy rows (grids named by code) and find each row's deputy: by id, external id, ID number or
    mobile, so that the same person is updated and never registered twice. Reads only."""
    plan = Plan("deputies", len(rows), ids=dict(session.execute(select(Grid.code, Grid.id)).all()))
    people, seen = _People(session), {}
    for index, (number, row) in enumerate(rows):
        if clock is not None and index % 500 == 0:
            clock.check("checking the rows")
        given_id = str(row["id"]) if row.get("id") else None
        data = clean(row, DEPUTY_COLUMNS + DEPUTY_IMPORT_ONLY, ("id", "mobile_masked", "home_grid_code",
                                                                "work_grid_code"), DEPUTY_VALUES)
        deputy_id, matched_by, problems = _match_deputy(people, number, given_id, data, seen)
        if not deputy_id:
            data.pop("reason", None)  # a status change's reason means nothing to a new registration
        for column, target in (("home_grid_code", "home_grid_id"), ("work_grid_code", "work_grid_id")):
            if row.get(column) is not None:
                if str(row[column]) not in plan.ids:
                    problems.append(row_error("deputies", number, column, f"名册中没有编码为“{row[column]}”的网格"))
                else:
                    data[target] = plan.ids[str(row[column])]
        loaded, invalid = _load("deputies", number, DEPUTY_PATCH if deputy_id else DEPUTY_IN, data)
        problems += invalid
        if problems:
            plan.errors += problems
            continue
        plan.items.append((number, loaded, deputy_id, matched_by))
    return plan


def write_deputies(uow: UnitOfWork, plan: Plan, items: list) -> tuple[int, int, list]:
    """Register or update checked deputy rows in the caller's transaction: new deputies set-wise, a run of them
    at a time (bulk_writes); updates one by one."""
    session, counts, errors = uow.session, {"created": 0, "updated": 0, "unchanged": 0}, []
    for new, run in _runs(items):
        if new:
            try:
                made = bulk_writes.register_deputies(uow, run)
            except bulk_writes.BatchRefused:
                pass  # row by row below, to name the row the database refuses
            else:
                _created(plan, counts, [(n, d.id, d.name, None) for n, d in made])
                continue
        for number, loaded, deputy_id, matched_by in run:
            def write(loaded=loaded, deputy_id=deputy_id):
                if deputy_id:
                    return update_deputy(uow, deputy_id, dict(loaded)), False
                return register_deputy(uow, dict(loaded), matched=True), True
            try:
                with session.begin_nested():
                    counts[_counted(uow, plan, number, loaded.get("name") or "", write, matched_by)] += 1
            except DomainError as exc:
                errors += _row_errors("deputies", number, exc)
    return counts["created"], counts["updated"], errors


PLANNERS = {"grids": plan_grids, "deputies": plan_deputies}
WRITERS = {"grids": write_grids, "deputies": write_deputies}


def _refusal(errors: list, rows: int) -> Invalid:
    bad = sorted({e["row"] for e in errors})
    errors.sort(key=lambda e: e["row"])
    return Invalid(errors, f"{rows} 行中有 {len(bad)} 行有误，未导入任何数据；请改正后重新导入，或选择只导入其余 "
                           f"{rows - len(bad)} 行正确的数据（import_valid_rows=true）")


def refuse_if_invalid(plan: Plan, import_valid_rows: bool) -> None:
    """All or nothing by default: any bad row refuses the whole file (422 listing every bad row)."""
    if plan.errors and not import_valid_rows:
        raise _refusal(plan.errors, plan.rows)


def refuse_unknown_columns(headings, ignore_unknown_columns: bool) -> None:
    """A heading that is no column of the import would be dropped: refuse the file unless told to ignore them."""
    if headings.unknown and not ignore_unknown_columns:
        raise Invalid([{"row": 1, "field": "file", "column": u["column"], "reason": u["reason"]}
                       for u in headings.unknown],
                      f"有 {len(headings.unknown)} 列不是此导入的列，其内容不会被读取，因此未导入任何数据；请改正"
                      "列标题，或确认忽略这些列（ignore_unknown_columns=true）")


def keep_in_scope(session, plan: Plan, scope: frozenset[str]) -> None:
    """For a person limited to grids (township staff): rows that would change or place anything outside their
    grids become errors of their rows."""
    allowed_codes = {code for code, grid_id in plan.ids.items() if grid_id in scope}
    anchors = dict(((r.id, {r.home_grid_id, r.work_grid_id}) for r in session.execute(
        select(Deputy.id, Deputy.home_grid_id, Deputy.work_grid_id)))) if plan.what == "deputies" else {}
    kept = []
    for item in plan.items:
        if plan.what == "grids":
            inside = _grid_row_inside(item, scope, allowed_codes)
        else:
            inside = _deputy_row_inside(item, scope, anchors)
        if inside:
            kept.append(item)
        else:
            plan.errors.append(row_error(plan.what, item[0], "home_grid_code" if plan.what == "deputies" else
                                         "parent_code", "不在您所辖的网格范围内，不能由您导入或修改"))
    plan.items = kept


def _grid_row_inside(item: tuple, scope: frozenset[str], allowed_codes: set[str]) -> bool:
    """A grid row changes a grid of the scope, or adds one under a grid of it (which may then be a parent)."""
    _, loaded, existing, parent_code = item
    inside = existing in scope if existing else parent_code in allowed_codes
    if inside and not existing:
        allowed_codes.add(loaded["code"])
    return inside


def _deputy_row_inside(item: tuple, scope: frozenset[str], anchors: dict) -> bool:
    """A deputy row places the deputy in grids of the scope only, and changes only a deputy anchored in it."""
    _, loaded, existing, _ = item
    grids = {str(g) for g in (loaded.get("home_grid_id"), loaded.get("work_grid_id")) if g}
    return grids <= scope and (bool(grids) or existing is not None) and (
        existing is None or bool(anchors.get(existing, set()) & scope))


def import_now(uow: UnitOfWork, what: str, rows: list[tuple[int, dict]], *, import_valid_rows: bool,
               scope: frozenset[str] | None = None) -> dict:
    """A small import in one transaction: checked, then written; any bad row (or a rule refusing a row while
    writing) changes nothing unless import_valid_rows. With a `scope` (a person's grids) rows outside it are bad."""
    plan = PLANNERS[what](uow.session, rows)
    if scope is not None:
        keep_in_scope(uow.session, plan, scope)
    refuse_if_invalid(plan, import_valid_rows)
    created, updated, errors = WRITERS[what](uow, plan, plan.items)
    answer = _finish(rows, plan.errors + errors, created, updated, import_valid_rows)
    answer["outcomes"] = sorted(plan.outcomes, key=lambda o: o["row"])
    answer["unchanged"] = sum(1 for o in plan.outcomes if o["action"] == "unchanged")
    return answer


def _row_errors(what: str, number: int, exc: DomainError) -> list[dict]:
    if exc.errors:
        return [row_error(what, number, e.get("field", ""), e.get("reason", "")) for e in exc.errors]
    return [row_error(what, number, "", exc.detail)]


def _finish(rows, errors, created: int, updated: int, import_valid_rows: bool) -> dict:
    bad = sorted({e["row"] for e in errors})
    if bad and not import_valid_rows:
        raise _refusal(errors, len(rows))
    errors.sort(key=lambda e: e["row"])
    return {"rows": len(rows), "created": created, "updated": updated, "invalid_rows": len(bad), "errors": errors}
