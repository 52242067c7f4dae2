"""Bulk import and export of grids and deputies."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from flask_smorest.fields import Upload


class ImportFile(Schema):
    file = Upload(required=True, metadata={"description": ".csv (UTF-8 or GB18030) or .xlsx; first row: headings"})


class ImportQuery(Schema):
    import_valid_rows = fields.Boolean(load_default=False, metadata={
        "description": "import the good rows even when some are bad (default: a bad row changes nothing)"})
    ignore_unknown_columns = fields.Boolean(load_default=False, metadata={
        "description": "import although some headings are not columns of this import (they are listed in "
                       "unknown_columns either way; default: such a file is refused, nothing is dropped silently)"})
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "check and write in a transaction that is rolled back: the answer says what the import "
                       "would do, row by row, and nothing changes (the preview of an import)"})


class BulkIn(Schema):
    items = fields.List(fields.Dict(), required=True, validate=validate.Length(1, 50_000), metadata={
        "description": "rows in the file import's columns (grids: code, parent_code …; deputies: external_id, "
                       "home_grid_code …); an item's position (from 1) is its `row` in errors"})


class ImportRowError(Schema):
    row = fields.Integer(metadata={"description": "spreadsheet row number (headings are row 1)"})
    field = fields.String()
    column = fields.String(metadata={"description": "the column's Chinese heading (手机, 居住网格 …)"})
    reason = fields.String(metadata={"description": "why, in Chinese"})


class ImportColumn(Schema):
    column = fields.String(metadata={"description": "the heading as written"})
    reason = fields.String()


class ImportRowOutcome(Schema):
    row = fields.Integer()
    action = fields.String(metadata={"description": "created, updated or unchanged"})
    id = fields.String(allow_none=True)
    label = fields.String(metadata={"description": "the grid's code and name, or the deputy's name"})
    matched_by = fields.String(metadata={"description": "how a deputy row found the deputy it updates: id, "
                                                        "external_id, id_number or mobile (the same person merged)"})


class ImportOut(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    invalid_rows = fields.Integer()
    errors = fields.List(fields.Nested(ImportRowError))
    unknown_columns = fields.List(fields.Nested(ImportColumn), metadata={
        "description": "headings that are no column of this import (nothing in them is read)"})
    ignored_columns = fields.List(fields.Nested(ImportColumn), metadata={
        "description": "known headings that an import does not read (e.g. the export's masked mobile)"})
    dry_run = fields.Boolean()
    outcomes = fields.List(fields.Nested(ImportRowOutcome), metadata={
        "description": "what happened (or, in a dry run, would happen) to each valid row"})


class ImportJobOut(Schema):
    id = fields.String()
    what = fields.String(metadata={"description": "grids or deputies"})
    filename = fields.String()
    import_valid_rows = fields.Boolean()
    actor = fields.String()
    status = fields.String(metadata={"description": "queued, checking (every row validated, nothing written yet), "
                                                    "writing (chunk by chunk), succeeded, failed, or interrupted "
                                                    "(its process ended)"})
    rows = fields.Integer(metadata={"description": "data rows in the file"})
    rows_written = fields.Integer(metadata={"description": "valid rows written by committed chunks so far"})
    progress = fields.Method("_progress", metadata={"description": "share of the valid rows written, 0 to 1"})
    created = fields.Integer()
    updated = fields.Integer()
    invalid_rows = fields.Integer()
    errors = fields.List(fields.Nested(ImportRowError), metadata={"description": "the first 1000 row errors"})
    errors_total = fields.Integer()
    detail = fields.String(allow_none=True, metadata={"description": "why the job failed"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)

    def _progress(self, job) -> float:
        if job.status == "succeeded":
            return 1.0
        valid = job.rows - job.invalid_rows
        return round(job.rows_written / valid, 4) if valid > 0 else 0.0


class ExportQuery(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))
