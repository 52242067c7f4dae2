"""Service-to-service reads: reconciliation."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires
from wangge_common.http import runtime
from wangge_common.schemas import ReconcileCasesIn, ReconcileCasesOut

from .. import queries

internal = Blueprint("routing_internal", __name__, url_prefix="/v1/internal",
                     description="Service-to-service reads: reconciliation (cases:read)")


@internal.route("/reconcile/cases")
class ReconcileCases(MethodView):
    @requires("cases:read")
    @internal.arguments(ReconcileCasesIn)
    @internal.response(200, ReconcileCasesOut)
    def post(self, body):
        """Of these case ids, the ones routing holds, with their state and work orders (for `wangge reconcile`)."""
        with runtime().db.sessions() as session:
            return {"cases": queries.reconcile_cases(session, body["case_ids"])}
