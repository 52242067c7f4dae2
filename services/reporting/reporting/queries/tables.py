"""Every table as CSV or XLSX (openpyxl) as well as JSON, laid out for an office: Chinese headings, the grid's code
and name first, rates as percentages, times in Beijing time, yes/no in words, and no JSON in any cell."""
from __future__ import annotations

import csv
import io

from flask import Response
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from wangge_common import clock
from wangge_common.contracts import labels

from .. import domain

# field -> Chinese heading. Fields not named here are left out of an office table (they stay in the JSON).
HEADINGS = {
    "code": "网格编号", "label": "名称", "name": "名称", "grid_name": "网格", "level": "代表层级", "kind": "类别",
    "position": "职务", "status": "状态", "tracking_code": "受理编号", "case_id": "案件系统编号",
    "channel": "受理渠道", "category": "类别", "state": "当前状态", "department_name": "承办单位",
    "registered_at": "受理时间", "closed_at": "办结时间", "outcome": "办结结果", "rating": "群众评价",
    "reopen_count": "发回重办次数", "on_time": "按时办结",
    "cases": "件数", "closed": "办结", "on_time_closed": "按时办结", "answered": "已答复", "replied": "已反馈群众",
    "reopened": "发回重办", "rated": "已评价", "satisfied": "满意", "basically_satisfied": "基本满意",
    "unsatisfied": "不满意", "unrated": "办结未评价", "avg_handling_hours": "平均办理时长（小时）",
    "p90_handling_hours": "90%办结时长（小时）", "score": "综合得分（百分）", "rank": "排名", "excellent": "优秀代表网格",
    "grids": "联系网格", "visits": "走访次数", "visits_per_week": "每周走访", "reception_days": "接待日天数",
    "reception_hours": "接待时长（小时）", "residents_received": "接待群众人数", "cases_received": "受理民情（件）",
    "cases_answered": "答复（件）", "disputes_mediated": "调解纠纷（起）", "contact_households": "联系户数",
    "contact_meetings": "联系户见面次数", "five_ones_done": "“五个一”完成项",
    "key": "系统编号",
}
for _name, (_title, _target, _higher) in domain.KPIS.items():
    HEADINGS[_name] = _title
PERCENT = {name for name in domain.KPIS} | {"share"}
BOOLEAN_WORDS = {True: "是", False: "否", None: "—"}
MEETS_WORDS = {True: "达标", False: "未达标", None: "—"}
VALUE_LABELS = {"channel": "channel", "category": "category", "state": "case_state", "rating": "rating",
                "outcome": "rating", "level": "deputy_level", "kind": "deputy_kind"}
FIRST = ("code", "label", "name", "tracking_code")


def local_time(value: str) -> str:
    """An ISO time from the events (UTC) as Beijing time, to the minute."""
    try:
        return clock.local_text(value)
    except ValueError:
        return value


def _cell(name: str, value):
    if isinstance(value, bool) or (value is None and name in ("on_time", "excellent")):
        return BOOLEAN_WORDS[value]
    if value is None:
        return None
    if name in VALUE_LABELS:
        return labels.label(VALUE_LABELS[name], value)
    if name == "score":
        return round(value * 100, 1)
    if name in ("registered_at", "closed_at") and isinstance(value, str):
        return local_time(value)
    if isinstance(value, list):  # e.g. a deputy's grids: their names
        return "、".join(str(v.get("name", "")) if isinstance(v, dict) else str(v) for v in value)
    return value


def _flat(row: dict) -> dict:
    """A row with its nested KPI row (`kpis`) and its `meets` (达标, as `meets:<kpi>`) spread out."""
    flat = {}
    for key, value in row.items():
        if key == "kpis" and isinstance(value, dict):
            flat.update({k: v for k, v in value.items() if k != "meets"})
        elif key == "meets" and isinstance(value, dict):
            flat.update({f"meets:{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _columns(flat_rows: list[dict]) -> list[str]:
    """The fields an office table shows, in order: the grid's code and name first, the system key last, a `name`
    only where there is no `label`, the key only where there is no code."""
    seen = list(dict.fromkeys(k for flat in flat_rows for k in flat))  # every field, in first-seen order
    if "label" in seen and "name" in seen:
        seen.remove("name")
    if "code" in seen and "key" in seen:
        seen.remove("key")
    wanted = [k for k in seen if k in HEADINGS or k.startswith("meets:")]
    return _first_and_last(wanted)


def _first_and_last(wanted: list[str]) -> list[str]:
    """`FIRST` fields first, the system key last, the rest as they came."""
    middle = [k for k in wanted if k not in FIRST and k != "key"]
    return [k for k in FIRST if k in wanted] + middle + (["key"] if "key" in wanted else [])


def office_table(rows: list[dict]) -> tuple[list[tuple[str, str]], list[list]]:
    """(field, heading) columns and cell values: known fields only, the grid's code and name first, nested KPI
    rows (`kpis`) and `meets` (达标) spread into their own columns, nothing nested left."""
    flat_rows = [_flat(row) for row in rows]
    ordered = _columns(flat_rows)
    columns = [(k, f"{HEADINGS[k[6:]]}是否达标" if k.startswith("meets:") else HEADINGS[k]) for k in ordered]
    values = [[MEETS_WORDS[flat.get(k)] if k.startswith("meets:") else _cell(k, flat.get(k)) for k in ordered]
              for flat in flat_rows]
    return columns, values


def download(rows: list[dict], fmt: str, name: str, title: str | None = None) -> Response:
    columns, values = office_table(rows)
    headings = [heading for _, heading in columns]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headings)
        for row in values:
            writer.writerow([f"{v * 100:.1f}%" if field in PERCENT and isinstance(v, (int, float)) else v
                             for (field, _), v in zip(columns, row)])
        body, mimetype = "\ufeff" + out.getvalue(), "text/csv; charset=utf-8"  # BOM: Excel opens UTF-8 Chinese
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = (title or name)[:31]
        sheet.append(headings)
        for row in values:
            sheet.append(row)
        for index, (field, heading) in enumerate(columns, 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(10, min(40, len(heading) * 2 + 2))
            if field in PERCENT:
                for cell in sheet[letter][1:]:
                    cell.number_format = "0.0%"
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        book.save(buffer)
        body = buffer.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
