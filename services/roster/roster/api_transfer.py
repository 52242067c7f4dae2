"""Bulk import and export of grids and deputies (CSV, XLSX), version 1."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, requires
from wangge_common.http import runtime

from . import transfer
from .schemas import ExportQuery, ImportFile, ImportOut, ImportQuery

blp = Blueprint("import-export", __name__, url_prefix="/v1",
                description="Bulk import and export of grids and deputies as CSV or XLSX, validated row by row")
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
IMPORTERS = {"grids": transfer.import_grids, "deputies": transfer.import_deputies}
MAX_IMPORT_BYTES = 32 * 1024 * 1024  # a county's spreadsheet (13,000 deputies) is far above the API's 1 MiB


@blp.before_request
def _room_for_spreadsheets():
    if request.path.startswith("/v1/imports/"):
        request.max_content_length = MAX_IMPORT_BYTES
        request.max_form_memory_size = MAX_IMPORT_BYTES


@blp.route("/imports/<any(grids, deputies):what>")
class Import(MethodView):
    @requires("roster:admin")
    @blp.arguments(ImportQuery, location="query")
    @blp.arguments(ImportFile, location="files")
    @blp.response(200, ImportOut)
    def post(self, query, files, what):
        """Import grids (matched by code) or deputies (matched by id when given). Any bad row: 422 listing every
        bad row and why, and nothing changes, unless import_valid_rows=true. Columns as in the export; Chinese
        headings (编码, 名称, 层级, 上级编码, 姓名, 手机 …) are understood too."""
        upload = files["file"]
        try:
            rows = transfer.read_rows(upload.filename, upload.read())
        finally:
            upload.close()  # large uploads are spooled to a temporary file
        with runtime().unit_of_work(actor=actor()) as uow:
            return IMPORTERS[what](uow, rows, import_valid_rows=query["import_valid_rows"])


@blp.route("/exports/<any(grids, deputies):what>")
class Export(MethodView):
    @requires("roster:read")
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, description="the file: the import's columns (deputies' mobiles masked only)")
    @blp.doc(responses={"200": {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                            for m in MIMETYPES.values()}}})
    def get(self, query, what):
        """Export grids or deputies in the import's shape, as CSV or XLSX."""
        with runtime().db.sessions() as session:
            columns, rows = transfer.export_rows(session, what)
        fmt = query["format"]
        body = transfer.to_csv(columns, rows) if fmt == "csv" else transfer.to_xlsx(columns, rows, what)
        return Response(body, mimetype=MIMETYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{what}.{fmt}"'})
