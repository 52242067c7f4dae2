"""Bulk import and export of grids and deputies (CSV, XLSX), version 1."""
from __future__ import annotations

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, grid_scope, requires
from wangge_common.errors import Invalid
from wangge_common.http import runtime

from ..commands import imports, transfer
from ..importrules import headings_of
from ..queries import exports
from ..queries import imports as import_jobs
from ..schemas.transfer import BulkIn, ExportQuery, ImportFile, ImportJobOut, ImportOut, ImportQuery
from ..spreadsheets import TimeLimit, TooLarge, read_rows


blp = Blueprint("import-export", __name__, url_prefix="/v1",
                description="Bulk import and export of grids and deputies as CSV or XLSX, validated row by row")
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
JOB_OUT = ImportJobOut()


@blp.before_request
def _room_for_spreadsheets():
    if request.method == "POST" and (request.path.startswith("/v1/imports/") or request.path.endswith("/bulk")):
        limit = imports.limits(runtime()).max_bytes  # a county's spreadsheet is far above the API's 1 MiB
        if request.content_length is not None and request.content_length > limit:
            raise TooLarge("file", "max_bytes", limit, f"the upload has {request.content_length} bytes")
        request.max_content_length = limit
        request.max_form_memory_size = limit


class _DryRun(Exception):
    def __init__(self, answer: dict):
        super().__init__("dry run: roll back")
        self.answer = answer


def run_import(what: str, rows: list, headings, query: dict, *, filename: str, clock: TimeLimit):
    """The import of checked-in rows, as the file upload and the JSON bulk endpoint both answer it: at once (in one
    transaction, or rolled back for a dry run) or as a job."""
    transfer.refuse_unknown_columns(headings, query["ignore_unknown_columns"] or query["dry_run"])
    if not rows:
        raise Invalid([("file", "文件中没有数据行（第 1 行是列标题，从第 2 行起每行一条记录）")],
                      "没有可导入的数据行")
    rt, limits = runtime(), imports.limits(runtime())
    columns = {"unknown_columns": headings.unknown, "ignored_columns": headings.ignored}
    scope = grid_scope()  # a township's person imports within their grids, at once (a township is small)
    if query["dry_run"]:
        try:
            with rt.unit_of_work(actor=actor()) as uow:
                raise _DryRun(transfer.import_now(uow, what, rows, import_valid_rows=True, scope=scope))
        except _DryRun as dry:
            return {**dry.answer, **columns, "dry_run": True}
    if scope is not None or (len(rows) <= limits.sync_rows
                             and "respond-async" not in request.headers.get("Prefer", "")):
        with rt.unit_of_work(actor=actor()) as uow:
            answer = transfer.import_now(uow, what, rows, import_valid_rows=query["import_valid_rows"], scope=scope)
        return {**answer, **columns, "dry_run": False}
    job = imports.start(rt, what=what, filename=filename, rows=rows, actor=actor(), clock=clock,
                        import_valid_rows=query["import_valid_rows"])
    answer = jsonify(JOB_OUT.dump(job))  # a Response: the 200 schema does not apply to it
    answer.status_code, answer.headers["Location"] = 202, f"/v1/imports/jobs/{job.id}"
    return answer


@blp.route("/imports/<any(grids, deputies):what>")
class Import(MethodView):
    @requires("roster:admin")
    @blp.arguments(ImportQuery, location="query")
    @blp.arguments(ImportFile, location="files")
    @blp.response(200, ImportOut, description="a small file (up to WANGGE_ROSTER_IMPORT_SYNC_ROWS rows), imported "
                                              "(or, with dry_run, what the import would do)")
    @blp.alt_response(202, schema=ImportJobOut, description="a large file (or `Prefer: respond-async`): imported by "
                                                            "a job; poll the Location")
    @blp.alt_response(413, description="over a limit (bytes, rows, columns, time); the limit is named")
    def post(self, query, files, what):
        """Import grids (matched by external id, else code) or deputies (by id, else external id, ID number or
        mobile: the same person is updated, never registered twice). Any bad row: 422 listing every bad row and
        why (in Chinese), and nothing changes, unless import_valid_rows=true. A heading that is no column of the
        import refuses the file (422) unless ignore_unknown_columns=true. `dry_run=true` answers what the import
        would do and changes nothing. Columns as in the export; Chinese headings (编码, 名称, 层级, 上级编码,
        姓名, 手机, 外部编号, 身份证号 …) are understood too. A file of more than WANGGE_ROSTER_IMPORT_SYNC_ROWS
        rows runs as a job (202): checked in full first, then written in chunks."""
        upload, limits = files["file"], imports.limits(runtime())
        clock, headings = TimeLimit(limits), headings_of(what)
        try:
            rows = read_rows(upload.filename, upload.stream, limits, headings, clock)
        finally:
            upload.close()  # large uploads are spooled to a temporary file
        return run_import(what, rows, headings, query, filename=upload.filename, clock=clock)


@blp.route("/<any(grids, deputies):what>/bulk")
class Bulk(MethodView):
    @requires("roster:admin")
    @blp.arguments(ImportQuery, location="query")
    @blp.arguments(BulkIn, example={"items": [{"external_id": "ZZ-D-0001", "name": "李红梅", "gender": "female",
                                               "level": "township", "mobile": "13812345678",
                                               "home_grid_code": "SS-01-02-03"}]})
    @blp.response(200, ImportOut)
    @blp.alt_response(202, schema=ImportJobOut, description="more than WANGGE_ROSTER_IMPORT_SYNC_ROWS items")
    def post(self, query, body, what):
        """The integrator's form of the import: JSON items in the file's columns, with the same rules (matching,
        the same person once, unknown fields reported, all or nothing unless import_valid_rows, dry_run).
        An item's `row` in errors is its position in `items`, from 1."""
        headings, limits = headings_of(what), imports.limits(runtime())
        if len(body["items"]) > limits.max_rows:
            raise TooLarge("items", "max_rows", limits.max_rows, f"{len(body['items'])} items")
        names = sorted({key for item in body["items"] for key in item})
        columns = dict(zip(names, headings(names)))
        rows = [(number, {columns[k]: _value(v) for k, v in item.items() if columns[k]})
                for number, item in enumerate(body["items"], start=1)]
        return run_import(what, rows, headings, query, filename=f"{what}.json", clock=TimeLimit(limits))


def _value(value):
    """A JSON value as a cell: numbers and lists are read as they are, blanks as empty."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


@blp.route("/imports/jobs/<uuid:job_id>")
class ImportJob(MethodView):
    @requires("roster:admin")
    @blp.response(200, ImportJobOut)
    def get(self, job_id):
        """An import job: its status, the rows written so far and the bad rows found."""
        with runtime().db.reads() as session:
            return import_jobs.get_job(session, str(job_id))


@blp.route("/exports/<any(grids, deputies):what>")
class Export(MethodView):
    @requires("roster:read")
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, description="CSV: the import's own columns; XLSX: the office's sheet, Chinese headings and "
                                    "values, each row led by its grid's code and name (deputies' mobiles masked only)")
    @blp.doc(responses={"200": {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                            for m in MIMETYPES.values()}}})
    def get(self, query, what):
        """Export grids or deputies: CSV in the import's columns, or XLSX for an office; both re-import."""
        fmt = query["format"]
        with runtime().db.reads() as session:
            if fmt == "xlsx":  # the office's sheet: Chinese headings and values, the grid first (exports.py)
                body = exports.office_xlsx(what, session)
            else:  # the import's own columns, for systems
                body = exports.to_csv(*exports.export_rows(session, what))
        return Response(body, mimetype=MIMETYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{what}.{fmt}"'})
