"""Reading an uploaded CSV or XLSX file as a stream, within limits on bytes, rows, columns, cells and time.

A hostile or careless file (millions of rows, a row of a million cells, a cell of megabytes, a zip bomb dressed as
a workbook) is refused as soon as it crosses a limit, naming the limit, instead of being read whole into memory.
"""
from __future__ import annotations

import codecs
import csv
import io
import time
import zipfile
from datetime import date, datetime
from typing import IO, Iterator

from wangge_common.errors import DomainError, Invalid

from .settings import ImportLimits


class TooLarge(DomainError):
    """The file crosses one of the import's limits (rows, bytes, time): 413, naming the limit."""

    status, title = 413, "Content Too Large"

    def __init__(self, field: str, limit_name: str, limit: int, what: str):
        super().__init__(f"{what}: the limit is {limit} ({ImportLimits.variable(limit_name)}); split the file",
                         errors=[{"field": field, "reason": f"over the limit of {limit} ({limit_name})"}])


class TimeLimit:
    """A deadline checked between rows: an import never runs longer than max_seconds."""

    def __init__(self, limits: ImportLimits, started: float | None = None):
        self.limits = limits
        self.deadline = (started or time.monotonic()) + limits.max_seconds

    def check(self, what: str) -> None:
        if time.monotonic() > self.deadline:
            raise TooLarge("file", "max_seconds", self.limits.max_seconds, f"{what} took too long")


def read_rows(filename: str, stream: IO[bytes], limits: ImportLimits, headings_known,
              clock: TimeLimit | None = None) -> list[tuple[int, dict]]:
    """(spreadsheet row number, {column: value}) for every non-empty row; the first row holds the headings.

    `headings_known(headings)` maps the raw headings to column names (None for a heading it does not know);
    a file none of whose headings is known is refused at once.
    """
    clock = clock or TimeLimit(limits)
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(stream, limits)
    elif name.endswith(".csv"):
        table = _csv_rows(stream, limits)
    else:
        raise Invalid([("file", "send a .csv or .xlsx file")])
    try:
        return _rows(table, limits, headings_known, clock)
    finally:
        table.close()  # a refused file is not read further, and the upload stays its owner's to close


def _rows(table: Iterator[list], limits: ImportLimits, headings_known, clock: TimeLimit) -> list[tuple[int, dict]]:
    first = next(table, None)
    if first is None:
        raise Invalid([("file", "the file is empty")])
    headings = headings_known(["" if h is None else str(h).strip() for h in first])
    if not any(headings):
        shown = ", ".join(repr(str(h)) for h in first[:10] if h not in (None, ""))
        raise Invalid([("file", f"none of the headings in row 1 ({shown or 'none'}) is a column of this import")])
    rows, physical = [], 0
    for number, values in enumerate(table, start=2):
        physical += 1
        if physical % 1000 == 0:
            clock.check("reading the file")
        if physical > 4 * limits.max_rows:  # blank lines count too, or a sheet of empty rows reads forever
            raise TooLarge("file", "max_rows", limits.max_rows, f"the file has more than {4 * limits.max_rows} lines")
        row = _row(number, headings, values, limits)
        if any(v is not None for v in row.values()):
            if len(rows) >= limits.max_rows:
                raise TooLarge("file", "max_rows", limits.max_rows,
                               f"the file has more than {limits.max_rows} rows")
            rows.append((number, row))
    return rows


def _row(number: int, headings: list, values: list, limits: ImportLimits) -> dict:
    """One line's cells under their known headings (empty cells as None); a cell over the limit refuses the file."""
    row = {}
    for heading, value in zip(headings, values):
        if not heading:
            continue
        value = _text(value)
        if isinstance(value, str) and len(value) > limits.max_cell_chars:
            raise Invalid([{"row": number, "field": heading,
                            "reason": f"the cell is over the limit of {limits.max_cell_chars} characters "
                                      f"({ImportLimits.variable('max_cell_chars')})"}],
                          "a cell is too long; nothing was imported")
        row[heading] = None if value in ("", None) else value
    return row


def _text(value):
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a mobile or a code typed as a number: 13812345678.0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # the schemas parse numbers from text; a number where text belongs is no error
    return value.strip() if isinstance(value, str) else value


def _too_wide(limits: ImportLimits, number: int):
    return TooLarge("file", "max_columns", limits.max_columns, f"row {number} has more than {limits.max_columns} "
                                                                  "columns")


def _csv_rows(stream: IO[bytes], limits: ImportLimits) -> Iterator[list]:
    """Rows of a UTF-8 (with or without BOM) or GB18030 CSV, one physical line at a time."""
    start = stream.tell()
    encoding = _csv_encoding(stream)
    stream.seek(start)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from _csv_table(text, limits)
    finally:
        text.detach()  # leave the upload open: its owner closes it


def _csv_encoding(stream: IO[bytes]) -> str:
    """UTF-8, else GB18030 (what spreadsheet apps on Chinese Windows save): decoded in chunks, never whole."""
    start = stream.tell()
    for encoding in ("utf-8-sig", "gb18030"):
        stream.seek(start)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise Invalid([("file", "a CSV file must be UTF-8 or GB18030 text")])


def _csv_table(text: io.TextIOWrapper, limits: ImportLimits) -> Iterator[list]:
    # A line longer than any legitimate row is refused before csv splits it into a list of a million cells.
    max_line = limits.max_columns * (limits.max_cell_chars + 3)

    def lines():
        while True:
            line = text.readline(max_line + 1)
            if not line:
                return
            if len(line) > max_line:
                raise TooLarge("file", "max_columns", limits.max_columns,
                               f"a line is longer than {max_line} characters")
            yield line

    previous = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_chars + 2)
    try:
        reader = csv.reader(lines())
        number = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise Invalid([{"row": number + 1, "field": "file", "reason": f"not readable as CSV ({exc}); a cell "
                                f"may be over the limit of {limits.max_cell_chars} characters"}]) from None
            number += 1
            if len(values) > limits.max_columns:
                raise _too_wide(limits, number)
            yield values
    finally:
        csv.field_size_limit(previous)


def _xlsx_rows(stream: IO[bytes], limits: ImportLimits) -> Iterator[list]:
    """Rows of the first sheet, streamed by openpyxl's read-only mode, after checking the zip's expanded size."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(stream) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Invalid([("file", f"not a readable XLSX workbook ({type(exc).__name__})")]) from None
    if expanded > limits.max_xlsx_expanded_bytes:
        raise TooLarge("file", "max_xlsx_expanded_bytes", limits.max_xlsx_expanded_bytes,
                       f"the workbook unzips to {expanded} bytes")
    stream.seek(0)
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the caller's bad file
        raise Invalid([("file", f"not a readable XLSX workbook ({type(exc).__name__})")]) from None
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=limits.max_columns + 1), 1):
            if len(values) > limits.max_columns and values[limits.max_columns] is not None:
                raise _too_wide(limits, number)
            yield list(values[:limits.max_columns])
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken sheet part is the caller's bad file
        raise Invalid([("file", f"not a readable XLSX workbook ({type(exc).__name__})")]) from None
    finally:
        book.close()
