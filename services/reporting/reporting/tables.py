"""Every table as CSV or XLSX (openpyxl) as well as JSON: rows of dicts, flattened one level."""
from __future__ import annotations

import csv
import io
import json

from flask import Response
from openpyxl import Workbook


def flatten(rows: list[dict]) -> tuple[list[str], list[list]]:
    """Columns in first-seen order; nested dicts become `outer.inner` columns, lists JSON text."""
    columns: list[str] = []
    flat_rows = []
    for row in rows:
        flat = {}
        for key, value in row.items():
            if isinstance(value, dict):
                for inner, v in value.items():
                    flat[f"{key}.{inner}"] = v
            elif isinstance(value, list):
                flat[key] = json.dumps(value, ensure_ascii=False)
            else:
                flat[key] = value
        for key in flat:
            if key not in columns:
                columns.append(key)
        flat_rows.append(flat)
    return columns, [[r.get(c) for c in columns] for r in flat_rows]


def download(rows: list[dict], fmt: str, name: str) -> Response:
    columns, values = flatten(rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(values)
        body, mimetype = "\ufeff" + out.getvalue(), "text/csv; charset=utf-8"  # BOM: Excel opens UTF-8 Chinese
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = name[:31]
        sheet.append(columns)
        for row in values:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        body = buffer.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
