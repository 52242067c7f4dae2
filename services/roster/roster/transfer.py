"""Import and export of grids and deputies as CSV or XLSX, in the shape township offices keep in spreadsheets.

Every row is validated; the answer lists each bad row with its reasons. A file with a bad row changes nothing
unless the caller asks to import the good rows. Grids are matched by code, deputies by id (when the row has
one): such rows update; others create. Export writes the same columns, so an export can be edited and re-imported.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from marshmallow import ValidationError
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from wangge_common.errors import DomainError, Invalid
from wangge_common.outbox import UnitOfWork
from wangge_common.problems import field_errors

from . import handlers
from .models import Deputy, Grid
from .schemas import DeputyIn, DeputyPatch, GridIn, GridPatch

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
           "任期开始": "term_start", "任期结束": "term_end", "状态": "status", "变更原因": "reason"}
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
    "phone_display": {"办公电话": "office", "手机": "masked_mobile", "手机(隐藏中间四位)": "masked_mobile"},
    "status": {"在任": "serving", "履职": "serving", "暂停": "suspended", "暂停履职": "suspended",
               "终止": "ended", "已终止": "ended"},
}


def read_rows(filename: str, content: bytes) -> list[tuple[int, dict]]:
    """(spreadsheet row number, {column: value}) for every non-empty row; the first row holds the headings."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the caller's bad file
            raise Invalid([("file", f"not a readable XLSX workbook ({type(exc).__name__})")]) from None
        try:
            table = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    elif name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")  # what spreadsheet apps on Chinese Windows save
            except UnicodeDecodeError:
                raise Invalid([("file", "a CSV file must be UTF-8 or GB18030 text")]) from None
        table = list(csv.reader(io.StringIO(text)))
    else:
        raise Invalid([("file", "send a .csv or .xlsx file")])
    if not table:
        raise Invalid([("file", "the file is empty")])
    headings = [ALIASES.get(str(h).strip(), str(h).strip()) if h is not None else "" for h in table[0]]
    rows = []
    for number, values in enumerate(table[1:], start=2):
        row = {}
        for heading, value in zip(headings, values):
            if not heading:
                continue
            if isinstance(value, datetime):
                value = value.date().isoformat()
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, float) and value.is_integer():
                value = str(int(value))  # a mobile or a code typed as a number: 13812345678.0
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)  # the schemas parse numbers from text; a number where text belongs is no error
            if isinstance(value, str):
                value = value.strip()
            row[heading] = None if value in ("", None) else value
        if any(v is not None for v in row.values()):
            rows.append((number, row))
    return rows


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


def import_grids(uow: UnitOfWork, rows: list[tuple[int, dict]], *, import_valid_rows: bool) -> dict:
    """Create or update grids, parents before children; codes in the file or already on the roster may be parents."""
    session = uow.session
    ids = dict(session.execute(select(Grid.code, Grid.id)).all())
    errors, created, updated, seen = [], 0, 0, {}
    for number, row in sorted(rows, key=lambda r: _level_key(r[1])):
        data = _clean(row, GRID_COLUMNS, ("parent_code",), GRID_VALUES)
        code = data.get("code")
        if code is not None and code in seen:
            errors.append({"row": number, "field": "code", "reason": f"the code {code!r} is also on row {seen[code]}"})
            continue
        seen[code] = number
        problems = []
        parent_code = row.get("parent_code")
        parent_id = ids.get(str(parent_code)) if parent_code is not None else None
        if parent_code is not None and parent_id is None:
            problems.append({"field": "parent_code", "reason": f"no grid with code {parent_code!r} on the roster or "
                                                               "among the file's valid rows"})
        existing = ids.get(str(code)) if code is not None else None
        loaded, invalid = _load(GridPatch(partial=True) if existing else GridIn(), data)
        problems += invalid
        if problems:
            errors += [{"row": number, **p} for p in problems]
            continue
        loaded["parent_id"] = parent_id
        try:
            with session.begin_nested():
                if existing:
                    handlers.update_grid(uow, existing, loaded)
                    updated += 1
                else:
                    ids[loaded["code"]] = handlers.create_grid(uow, loaded).id
                    created += 1
        except DomainError as exc:
            errors += _row_errors(number, exc)
    return _finish(rows, errors, created, updated, import_valid_rows)


def _level_key(row: dict):
    try:
        return int(row.get("level") or 9)
    except (TypeError, ValueError):
        return 9


def import_deputies(uow: UnitOfWork, rows: list[tuple[int, dict]], *, import_valid_rows: bool) -> dict:
    """Register deputies, or update those whose id the row carries; grids are named by code."""
    session = uow.session
    ids = dict(session.execute(select(Grid.code, Grid.id)).all())
    known = set(session.scalars(select(Deputy.id)))
    errors, created, updated = [], 0, 0
    for number, row in rows:
        deputy_id = str(row["id"]) if row.get("id") else None
        data = _clean(row, DEPUTY_COLUMNS + DEPUTY_IMPORT_ONLY,
                      ("id", "mobile_masked", "home_grid_code", "work_grid_code") + (() if deputy_id else ("reason",)),
                      DEPUTY_VALUES)
        problems = []
        for column, target in (("home_grid_code", "home_grid_id"), ("work_grid_code", "work_grid_id")):
            if row.get(column) is not None:
                if str(row[column]) not in ids:
                    problems.append({"field": column, "reason": f"no grid with code {row[column]!r}"})
                else:
                    data[target] = ids[str(row[column])]
        if deputy_id and deputy_id not in known:
            problems.append({"field": "id", "reason": f"no deputy {deputy_id} (leave id empty to register a new one)"})
        loaded, invalid = _load(DeputyPatch(partial=True) if deputy_id else DeputyIn(), data)
        problems += invalid
        if problems:
            errors += [{"row": number, **p} for p in problems]
            continue
        try:
            with session.begin_nested():
                if deputy_id:
                    handlers.update_deputy(uow, deputy_id, loaded)
                    updated += 1
                else:
                    handlers.register_deputy(uow, loaded)
                    created += 1
        except DomainError as exc:
            errors += _row_errors(number, exc)
    return _finish(rows, errors, created, updated, import_valid_rows)


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


def to_xlsx(columns, rows, title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(columns))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
