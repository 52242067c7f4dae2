"""Intake HTTP API: service-to-service reads (a reporter's contact, reconciliation)."""
from __future__ import annotations


from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires
from wangge_common.errors import Invalid
from wangge_common.schemas import ReconcileCaseIds, ReconcilePeriod

from .. import queries
from .common import (pii_cipher, reads)
from ..schemas import (ContactOut)


internal = Blueprint("internal", __name__, url_prefix="/v1/internal",
                     description="Service-to-service reads: personal data (scope contacts:read), reconciliation (cases:read)")


@internal.route("/reporters/<string:reporter_ref>/contact")
class ReporterContact(MethodView):
    @requires("contacts:read")
    @internal.response(200, ContactOut)
    def get(self, reporter_ref):
        """A reporter's contact details in clear, for notify's messages to the resident (contacts:read only)."""
        with reads() as session:
            return queries.reporter_contact(session, reporter_ref, pii_cipher())


@internal.route("/reconcile/cases")
class ReconcileCases(MethodView):
    @requires("cases:read")
    @internal.arguments(ReconcilePeriod, location="query")
    @internal.response(200, ReconcileCaseIds)
    def get(self, query):
        """The ids of the cases accepted in [since, until), oldest first, for `wangge reconcile` (cases:read)."""
        if query["until"] <= query["since"]:
            raise Invalid([("until", "must be after since")])
        with reads() as session:
            ids = queries.case_ids_accepted(session, query["since"], query["until"], offset=query["offset"],
                                             limit=query["limit"] + 1)
        more = len(ids) > query["limit"]
        return {"case_ids": ids[:query["limit"]], "next_offset": query["offset"] + query["limit"] if more else None}
