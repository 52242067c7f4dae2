"""Bulk import and export of grids and deputies (CSV, XLSX), version 1."""
from __future__ import annotations

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, requires
from wangge_common.http import runtime

from . import exports, imports, transfer
from .schemas import ExportQuery, ImportFile, ImportJobOut, ImportOut, ImportQuery
from .spreadsheets import TimeLimit, TooLarge, read_rows

blp = Blueprint("import-export", __name__, url_prefix="/v1",
                description="Bulk import and export of grids and deputies as CSV or XLSX, validated row by row")
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
JOB_OUT = ImportJobOut()


@blp.before_request
def _room_for_spreadsheets():
    if request.path.startswith("/v1/imports/") and request.method == "POST":
        limit = imports.limits().max_bytes  # a county's spreadsheet is far above the API's 1 MiB
        if request.content_length is not None and request.content_length > limit:
            raise TooLarge("file", "max_bytes", limit, f"the upload has {request.content_length} bytes")
        request.max_content_length = limit
        request.max_form_memory_size = limit


@blp.route("/imports/<any(grids, deputies):what>")
class Import(MethodView):
    @requires("roster:admin")
    @blp.arguments(ImportQuery, location="query")
    @blp.arguments(ImportFile, location="files")
    @blp.response(200, ImportOut, description="a small file (up to WANGGE_ROSTER_IMPORT_SYNC_ROWS rows), imported")
    @blp.alt_response(202, schema=ImportJobOut, description="a large file (or `Prefer: respond-async`): imported by "
                                                            "a job; poll the Location")
    @blp.alt_response(413, description="over a limit (bytes, rows, columns, time); the limit is named")
    def post(self, query, files, what):
        """Import grids (matched by code) or deputies (matched by id when given). Any bad row: 422 listing every
        bad row and why, and nothing changes, unless import_valid_rows=true. Columns as in the export; Chinese
        headings (编码, 名称, 层级, 上级编码, 姓名, 手机 …) are understood too. A file of more than
        WANGGE_ROSTER_IMPORT_SYNC_ROWS rows runs as a job (202): checked in full first, then written in chunks."""
        upload, limits = files["file"], imports.limits()
        clock = TimeLimit(limits)
        try:
            rows = read_rows(upload.filename, upload.stream, limits, transfer.headings_of(what), clock)
        finally:
            upload.close()  # large uploads are spooled to a temporary file
        rt = runtime()
        if len(rows) <= limits.sync_rows and "respond-async" not in request.headers.get("Prefer", ""):
            with rt.unit_of_work(actor=actor()) as uow:
                return transfer.import_now(uow, what, rows, import_valid_rows=query["import_valid_rows"])
        job = imports.start(rt, what=what, filename=upload.filename, rows=rows, actor=actor(), clock=clock,
                            import_valid_rows=query["import_valid_rows"])
        answer = jsonify(JOB_OUT.dump(job))  # a Response: the 200 schema above does not apply to it
        answer.status_code, answer.headers["Location"] = 202, f"/v1/imports/jobs/{job.id}"
        return answer


@blp.route("/imports/jobs/<uuid:job_id>")
class ImportJob(MethodView):
    @requires("roster:admin")
    @blp.response(200, ImportJobOut)
    def get(self, job_id):
        """An import job: its status, the rows written so far and the bad rows found."""
        with runtime().db.reads() as session:
            return imports.get(session, str(job_id))


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
                body = transfer.to_csv(*transfer.export_rows(session, what))
        return Response(body, mimetype=MIMETYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{what}.{fmt}"'})
