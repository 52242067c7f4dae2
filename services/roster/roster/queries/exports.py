"""Roster exports an office can use (issue 19.7): XLSX with Chinese headings and Chinese values, each row led by its
grid's code and name (never a UUID), dates as dates, lists joined by 、 (no JSON in a cell).

The sheet re-imports as it is: every heading and value written here is one the import reads back (transfer.ALIASES
and the *_VALUES maps); a heading only an office needs (上级网格名称, 派驻网格名称, ...) is ignored on import.
"""
from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from wangge_common.contracts import labels

from ..importrules import DEPUTY_COLUMNS, GRID_COLUMNS
from ..models import Assignment, Deputy, Grid


# (heading, what it holds) in sheet order; the headings the import knows are its ALIASES
GRID_SHEET = ("网格编码", "网格名称", "层级", "上级编码", "上级网格名称", "类型", "户数", "人口", "难度", "网格长", "网格员",
              "原选区")
DEPUTY_SHEET = ("派驻网格编码", "派驻网格名称", "姓名", "性别", "代表层级", "身份", "职务", "手机", "手机（隐藏中间四位）",
                "办公电话", "公示电话", "邮箱", "原选区", "居住网格", "工作网格", "专长", "履职能力", "履职承诺",
                "任期开始", "任期结束", "状态", "代表编号")
# The Chinese each code is written as: the import maps each back to its code (tested by a round trip)
GRID_LEVEL_NAMES = {1: "乡镇", 2: "村（社区）", 3: "村民小组（小区）"}
GRID_KIND_NAMES = {"urban_community": "城市社区", "rural_village": "农村", "old_estate": "老旧小区",
                   "migrant_cluster": "流动人口聚居区", "industrial_park": "产业园区"}
GENDER_NAMES = {"male": "男", "female": "女"}
PHONE_DISPLAY_NAMES = {"office": "办公电话", "station": "联络站电话", "masked_mobile": "联络站电话"}
STATUS_NAMES = {"serving": "在任", "suspended": "暂停履职", "ended": "已终止"}
DATE_FORMAT = "yyyy-mm-dd"
LIST_SEPARATOR = "、"


def grid_rows(session) -> list[list]:
    """Every grid, township first then by code: code and name first, the parent by code and name."""
    grids = session.scalars(select(Grid).order_by(Grid.level, Grid.code)).all()
    by_id = {g.id: g for g in grids}
    rows = []
    for g in grids:
        parent = by_id.get(g.parent_id)
        rows.append([g.code, g.name, GRID_LEVEL_NAMES[g.level], parent.code if parent else None,
                     parent.name if parent else None, GRID_KIND_NAMES.get(g.kind, g.kind), g.households,
                     g.population, g.difficulty, g.leader, LIST_SEPARATOR.join(g.workers or []) or None,
                     g.constituency])
    return rows


def deputy_rows(session) -> list[list]:
    """Every deputy, by the grid they serve (派驻) then name; mobiles only masked (they stay encrypted)."""
    grids = {g.id: g for g in session.scalars(select(Grid))}
    serving: dict[str, list[Grid]] = {}
    for assignment in session.scalars(select(Assignment).where(Assignment.ended_at.is_(None))
                                      .order_by(Assignment.started_at, Assignment.id)):
        serving.setdefault(assignment.deputy_id, []).append(grids[assignment.grid_id])
    rows = []
    for d in session.scalars(select(Deputy).order_by(Deputy.name, Deputy.id)):
        served = sorted(serving.get(d.id, []), key=lambda g: g.code)
        home, work = grids.get(d.home_grid_id), grids.get(d.work_grid_id)
        rows.append([LIST_SEPARATOR.join(g.code for g in served) or None,
                     LIST_SEPARATOR.join(g.name for g in served) or None,
                     d.name, GENDER_NAMES.get(d.gender, d.gender), labels.label("deputy_level", d.level),
                     labels.label("deputy_kind", d.kind), d.position, None, d.mobile_masked, d.office_phone,
                     PHONE_DISPLAY_NAMES.get(d.phone_display, d.phone_display), d.email, d.constituency,
                     home.code if home else None, work.code if work else None,
                     LIST_SEPARATOR.join(d.specialities or []) or None, d.capability, d.pledge, d.term_start,
                     d.term_end, STATUS_NAMES.get(d.status, d.status), d.id])
    rows.sort(key=lambda row: (row[0] is None, row[0] or "", row[2]))
    return rows


def office_xlsx(what: str, session) -> bytes:
    """The office's XLSX of grids or deputies: bold frozen headings, readable widths, dates as dates."""
    headings, rows = (GRID_SHEET, grid_rows(session)) if what == "grids" else (DEPUTY_SHEET, deputy_rows(session))
    book = Workbook()
    sheet = book.active
    sheet.title = "网格" if what == "grids" else "代表"
    sheet.append(list(headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column, heading in enumerate(headings, start=1):
        values = [heading] + [row[column - 1] for row in rows[:500]]
        width = max(_display_width(v) for v in values)
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
        if any(isinstance(v, date) for v in values):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = DATE_FORMAT
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and len(cell.value) > 40:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"  # the headings and the grid's code and name stay in view
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _display_width(value) -> int:
    """Columns a value takes in a spreadsheet: a Chinese character is two."""
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))


def export_rows(session, what: str) -> tuple[tuple[str, ...], list[list]]:
    """The columns and rows of an export, in the import's shape (mobiles only masked: they stay encrypted)."""
    codes = dict(session.execute(select(Grid.id, Grid.code)).all())
    if what == "grids":
        grids = session.scalars(select(Grid).order_by(Grid.level, Grid.code)).all()
        return GRID_COLUMNS, [[g.code, g.external_id, g.name, g.level, codes.get(g.parent_id), g.kind, g.households,
                               g.population, g.difficulty, g.leader, "、".join(g.workers or []), g.constituency] for g in grids]
    deputies = session.scalars(select(Deputy).order_by(Deputy.name, Deputy.id)).all()
    return DEPUTY_COLUMNS, [[d.id, d.external_id, d.name, d.gender, d.level, d.kind, d.position, None,
                             d.mobile_masked, d.office_phone, d.phone_display, d.email, d.constituency, codes.get(d.home_grid_id),
                             codes.get(d.work_grid_id), "、".join(d.specialities or []), d.capability, d.pledge,
                             d.term_start.isoformat() if d.term_start else None,
                             d.term_end.isoformat() if d.term_end else None, d.status] for d in deputies]


def to_csv(columns, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
