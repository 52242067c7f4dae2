"""Intake HTTP API: photos attached to matters (照片), kept by intake, served only within the caller's grids."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError

from wangge_common.auth import actor, require_grid, requires
from wangge_common.errors import Invalid
from wangge_common.http import runtime

from .. import domain
from .common import reads
from ..commands import store_attachment
from ..queries import get_attachment

attachments = Blueprint("attachments", __name__, url_prefix="/v1/attachments",
                        description="Photos (照片) of a matter: JPEG or PNG, at most 5 MB each, checked by content")


class AttachmentQuery(Schema):
    grid_id = fields.UUID(required=True, metadata={"description": "the grid of the matter; must be in the caller's"})
    name = fields.String(load_default="photo", validate=validate.Length(1, 200), metadata={"example": "lamp.jpg"})


class AttachmentOut(Schema):
    id = fields.String()
    name = fields.String()
    media_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    url = fields.Function(lambda a: f"/v1/attachments/{a.id}", metadata={"description": "where staff fetch it"})


@attachments.route("")
class Attachments(MethodView):
    @requires("cases:write", "orders:handle")  # a department attaches photos of the work done to its answer
    @attachments.arguments(AttachmentQuery, location="query")
    @attachments.response(201, AttachmentOut)
    @attachments.alt_response(413, description="the photo is over 5 MB")
    @attachments.doc(parameters=[{
        "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 200},
        "description": "Accepted like on every POST; an upload is idempotent by its content anyway (the same photo "
                       "for the same grid answers with the same attachment)."}],
                     requestBody={"required": True, "content": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}}}})
    def post(self, query):
        """Store a photo sent as the request body; put the answer's fields into a case's `attachments`. The same
        photo sent again for the same grid is the same attachment (safe to retry)."""
        require_grid(query["grid_id"])
        request.max_content_length = domain.ATTACHMENT_MAX_BYTES  # this endpoint's own limit, not the 1 MiB default
        body = request.get_data(cache=False)
        if not body:
            raise Invalid([("body", "send the photo as the request body")])
        for attempt in range(2):
            try:
                with runtime().unit_of_work(actor=actor()) as uow:
                    stored, _new = store_attachment(uow.session, str(query["grid_id"]), query["name"], body, actor())
                    return stored
            except IntegrityError:  # the same photo stored by a concurrent retry: read it back
                if attempt:
                    raise
        raise AssertionError("unreachable")


@attachments.route("/<uuid:attachment_id>")
class AttachmentById(MethodView):
    @requires("cases:read")
    @attachments.response(200, description="the photo itself (image/jpeg or image/png)")
    def get(self, attachment_id):
        """The photo, for staff whose data scope covers its grid; never public."""
        with reads() as session:
            found = get_attachment(session, str(attachment_id))
        require_grid(found.grid_id, "attachment")
        return Response(found.body, mimetype=found.media_type,
                        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
