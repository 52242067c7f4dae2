"""Import and export of grids and deputies as CSV or XLSX, in the shape township offices keep in spreadsheets.

Every row is validated; the answer lists each bad row with its reasons. A file with a bad row changes nothing
unless the caller asks to import the good rows. Grids are matched by code, deputies by id (when the row has
one): such rows update; others create. Export writes the same columns, so an export can be edited and re-imported.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import select

from wangge_common.errors import DomainError, Invalid
from wangge_common.outbox import UnitOfWork
from wangge_common.problems import field_errors

from . import handlers
from .models import Deputy, Grid
from .schemas import DeputyIn, DeputyPatch, GridIn, GridPatch

GRID_IN, GRID_PATCH, DEPUTY_IN, DEPUTY_PATCH = GridIn(), GridPatch(partial=True), DeputyIn(), DeputyPatch(partial=True)
GRID_COLUMNS = ("code", "name", "level", "parent_code", "kind", "households", "population", "difficulty", "leader",
                "workers", "constituency")
DEPUTY_COLUMNS = ("id", "name", "gender", "level", "kind", "position", "mobile", "mobile_masked", "office_phone",
                  "phone_display", "email", "constituency", "home_grid_code", "work_grid_code", "specialities",
                  "capability", "pledge", "term_start", "term_end", "status")
# Read on import, never exported: why a row changes a deputy's status (suspension, resumption).
DEPUTY_IMPORT_ONLY = ("reason",)
LIST_COLUMNS = ("workers", "specialities")
# Headings township offices write in Chinese, beside the English column names.
ALIASES = {"编码": "code", "网格编码": "code", "名称": "name", "网格名称": "name", "层级": "level",
           "上级编码": "parent_code", "类型": "kind", "户数": "households", "人口": "population", "难度": "difficulty",
           "网格长": "leader", "网格员": "workers", "原选区": "constituency", "姓名": "name", "性别": "gender",
           "代表层级": "level", "身份": "kind", "职务": "position", "手机": "mobile", "手机号码": "mobile",
           "办公电话": "office_phone", "公示电话": "phone_display", "邮箱": "email", "居住网格": "home_grid_code",
           "工作网格": "work_grid_code", "专长": "specialities", "履职能力": "capability", "履职承诺": "pledge",
           "任期开始": "term_start", "任期结束": "term_end", "状态": "status", "变更原因": "reason",
           "代表编号": "id"}  # 代表编号: the deputy's id, last column of the office's XLSX (exports.py)
SPLIT = re.compile(r"[、,;，；]\s*")
# Values township offices write in Chinese, per column, beside the API's own values (which stay accepted).
GRID_VALUES = {
    "level": {"乡镇": 1, "乡": 1, "镇": 1, "街道": 1, "村": 2, "社区": 2, "村(社区)": 2, "村（社区）": 2,
              "村民小组": 3, "小区": 3, "村民小组(小区)": 3, "村民小组（小区）": 3},
    "kind": {"城市社区": "urban_community", "社区": "urban_community", "农村": "rural_village",
             "行政村": "rural_village", "村": "rural_village", "老旧小区": "old_estate",
             "流动人口聚居区": "migrant_cluster", "产业园区": "industrial_park", "工业园区": "industrial_park"},
}
DEPUTY_VALUES = {
    "gender": {"男": "male", "女": "female"},
    "level": {"全国": "national", "全国人大代表": "national", "省": "provincial", "省级": "provincial",
              "省人大代表": "provincial", "市": "city", "市级": "city", "市人大代表": "city", "县": "county",
              "县级": "county", "县人大代表": "county", "区": "county", "乡镇": "township", "乡": "township",
              "镇": "township", "乡镇人大代表": "township"},
    "kind": {"人大代表": "npc_deputy", "党代表": "party_delegate"},
    "phone_display": {"办公电话": "office", "手机": "masked_mobile", "手机(隐藏中间四位)": "masked_mobile",
                      "联络站电话": "station"},
    "status": {"在任": "serving", "履职": "serving", "暂停": "suspended", "暂停履职": "suspended",
               "终止": "ended", "已终止": "ended"},
}


def headings_of(what: str):
    """For the file reader: raw headings -> column names of this import (None where unknown)."""
    known = set(GRID_COLUMNS if what == "grids" else DEPUTY_COLUMNS + DEPUTY_IMPORT_ONLY)

    def columns(headings: list[str]) -> list[str | None]:
        named = [ALIASES.get(h, h) for h in headings]
        return [n if n in known else None for n in named]

    return columns


def _clean(row: dict, columns: tuple[str, ...], drop: tuple[str, ...], values: dict) -> dict:
    data = {k: values.get(k, {}).get(v, v) for k, v in row.items() if k in columns and k not in drop and v is not None}
    for name in LIST_COLUMNS:
        if isinstance(data.get(name), str):
            data[name] = [part for part in SPLIT.split(data[name]) if part]
    return data


def _load(schema, data: dict) -> tuple[dict | None, list[dict]]:
    try:
        return schema.load(data), []
    except ValidationError as exc:
        return None, field_errors(exc.messages)


@dataclass
class Plan:
    """An import checked against the schemas and the roster, before any write: rows to write and bad rows."""

    what: str
    rows: int
    items: list = field(default_factory=list)  # (row number, loaded data, existing id or None, reference)
    errors: list = field(default_factory=list)
    ids: dict = field(default_factory=dict)  # grid code -> id, as known when writing


def plan_grids(session, rows: list[tuple[int, dict]], clock=None) -> Plan:
    """Check grid rows, parents before children; codes in the file or already on the roster may be parents.
    Reads only: runs outside the write transaction."""
    plan = Plan("grids", len(rows), ids=dict(session.execute(select(Grid.code, Grid.id)).all()))
    valid_codes, seen = set(plan.ids), {}
    for index, (number, row) in enumerate(sorted(rows, key=lambda r: _level_key(r[1]))):
        if clock is not None and index % 500 == 0:
            clock.check("checking the rows")
        data = _clean(row, GRID_COLUMNS, ("parent_code",), GRID_VALUES)
        code = data.get("code")
        if code is not None and code in seen:
            plan.errors.append({"row": number, "field": "code",
                                "reason": f"the code {code!r} is also on row {seen[code]}"})
            continue
        seen[code] = number
        problems = []
        parent_code = row.get("parent_code")
        if parent_code is not None and str(parent_code) not in valid_codes:
            problems.append({"field": "parent_code", "reason": f"no grid with code {parent_code!r} on the roster or "
                                                               "among the file's valid rows"})
        existing = plan.ids.get(str(code)) if code is not None else None
        loaded, invalid = _load(GRID_PATCH if existing else GRID_IN, data)
        problems += invalid
        if problems:
            plan.errors += [{"row": number, **p} for p in problems]
            continue
        valid_codes.add(loaded.get("code", code))
        plan.items.append((number, loaded, existing, None if parent_code is None else str(parent_code)))
    return plan


def write_grids(uow: UnitOfWork, plan: Plan, items: list) -> tuple[int, int, list]:
    """Write checked grid rows in the caller's transaction; a row a rule refuses is rolled back alone."""
    session, created, updated, errors = uow.session, 0, 0, []
    for number, loaded, existing, parent_code in items:
        loaded = dict(loaded)
        if parent_code is not None and parent_code not in plan.ids:  # its parent's row was refused while writing
            errors.append({"row": number, "field": "parent_code", "reason": f"the grid {parent_code!r} was not "
                                                                            "imported"})
            continue
        loaded["parent_id"] = plan.ids.get(parent_code) if parent_code is not None else None
        try:
            with session.begin_nested():
                if existing:
                    handlers.update_grid(uow, existing, loaded)
                    updated += 1
                else:
                    plan.ids[loaded["code"]] = handlers.create_grid(uow, loaded).id
                    created += 1
        except DomainError as exc:
            errors += _row_errors(number, exc)
    return created, updated, errors


def _level_key(row: dict):
    try:
        return int(row.get("level") or 9)
    except (TypeError, ValueError):
        return 9


def plan_deputies(session, rows: list[tuple[int, dict]], clock=None) -> Plan:
    """Check deputy rows (grids named by code, updates by id). Reads only."""
    plan = Plan("deputies", len(rows), ids=dict(session.execute(select(Grid.code, Grid.id)).all()))
    known = set(session.scalars(select(Deputy.id)))
    for index, (number, row) in enumerate(rows):
        if clock is not None and index % 500 == 0:
            clock.check("checking the rows")
        deputy_id = str(row["id"]) if row.get("id") else None
        data = _clean(row, DEPUTY_COLUMNS + DEPUTY_IMPORT_ONLY,
                      ("id", "mobile_masked", "home_grid_code", "work_grid_code") + (() if deputy_id else ("reason",)),
                      DEPUTY_VALUES)
        problems = []
        for column, target in (("home_grid_code", "home_grid_id"), ("work_grid_code", "work_grid_id")):
            if row.get(column) is not None:
                if str(row[column]) not in plan.ids:
                    problems.append({"field": column, "reason": f"no grid with code {row[column]!r}"})
                else:
                    data[target] = plan.ids[str(row[column])]
        if deputy_id and deputy_id not in known:
            problems.append({"field": "id", "reason": f"no deputy {deputy_id} (leave id empty to register a new one)"})
        loaded, invalid = _load(DEPUTY_PATCH if deputy_id else DEPUTY_IN, data)
        problems += invalid
        if problems:
            plan.errors += [{"row": number, **p} for p in problems]
            continue
        plan.items.append((number, loaded, deputy_id, None))
    return plan


def write_deputies(uow: UnitOfWork, plan: Plan, items: list) -> tuple[int, int, list]:
    """Register or update checked deputy rows in the caller's transaction."""
    session, created, updated, errors = uow.session, 0, 0, []
    for number, loaded, deputy_id, _ in items:
        try:
            with session.begin_nested():
                if deputy_id:
                    handlers.update_deputy(uow, deputy_id, dict(loaded))
                    updated += 1
                else:
                    handlers.register_deputy(uow, dict(loaded))
                    created += 1
        except DomainError as exc:
            errors += _row_errors(number, exc)
    return created, updated, errors


PLANNERS = {"grids": plan_grids, "deputies": plan_deputies}
WRITERS = {"grids": write_grids, "deputies": write_deputies}


def refuse_if_invalid(plan: Plan, import_valid_rows: bool) -> None:
    """All or nothing by default: any bad row refuses the whole file (422 listing every bad row)."""
    bad = sorted({e["row"] for e in plan.errors})
    if bad and not import_valid_rows:
        plan.errors.sort(key=lambda e: e["row"])
        raise Invalid(plan.errors, f"{len(bad)} of {plan.rows} rows are invalid, so nothing was imported; fix them, "
                                   f"or send import_valid_rows=true to import the {plan.rows - len(bad)} good rows")


def import_now(uow: UnitOfWork, what: str, rows: list[tuple[int, dict]], *, import_valid_rows: bool) -> dict:
    """A small import in one transaction: checked, then written; any bad row (or a rule refusing a row while
    writing) changes nothing unless import_valid_rows."""
    plan = PLANNERS[what](uow.session, rows)
    refuse_if_invalid(plan, import_valid_rows)
    created, updated, errors = WRITERS[what](uow, plan, plan.items)
    return _finish(rows, plan.errors + errors, created, updated, import_valid_rows)


def _row_errors(number: int, exc: DomainError) -> list[dict]:
    return [{"row": number, **e} for e in exc.errors] if exc.errors else [{"row": number, "field": "",
                                                                          "reason": exc.detail}]


def _finish(rows, errors, created: int, updated: int, import_valid_rows: bool) -> dict:
    bad = sorted({e["row"] for e in errors})
    errors.sort(key=lambda e: e["row"])
    if bad and not import_valid_rows:
        raise Invalid(errors, f"{len(bad)} of {len(rows)} rows are invalid, so nothing was imported; fix them, or "
                              f"send import_valid_rows=true to import the {len(rows) - len(bad)} good rows")
    return {"rows": len(rows), "created": created, "updated": updated, "invalid_rows": len(bad), "errors": errors}


def export_rows(session, what: str) -> tuple[tuple[str, ...], list[list]]:
    """The columns and rows of an export, in the import's shape (mobiles only masked: they stay encrypted)."""
    codes = dict(session.execute(select(Grid.id, Grid.code)).all())
    if what == "grids":
        grids = session.scalars(select(Grid).order_by(Grid.level, Grid.code)).all()
        return GRID_COLUMNS, [[g.code, g.name, g.level, codes.get(g.parent_id), g.kind, g.households, g.population,
                               g.difficulty, g.leader, "、".join(g.workers or []), g.constituency] for g in grids]
    deputies = session.scalars(select(Deputy).order_by(Deputy.name, Deputy.id)).all()
    return DEPUTY_COLUMNS, [[d.id, d.name, d.gender, d.level, d.kind, d.position, None, d.mobile_masked,
                             d.office_phone, d.phone_display, d.email, d.constituency, codes.get(d.home_grid_id),
                             codes.get(d.work_grid_id), "、".join(d.specialities or []), d.capability, d.pledge,
                             d.term_start.isoformat() if d.term_start else None,
                             d.term_end.isoformat() if d.term_end else None, d.status] for d in deputies]


def to_csv(columns, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
