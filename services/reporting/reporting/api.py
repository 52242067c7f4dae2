"""Reporting HTTP API, version 1."""
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires
from wangge_common.http import runtime

from . import handlers
from .schemas import AuditEntryOut, AuditQuery, KpiOut, VerifyOut

audit = Blueprint("audit", __name__, url_prefix="/v1/audit", description="The audit log: every event, hash-chained")
kpis = Blueprint("kpis", __name__, url_prefix="/v1/kpis", description="Key figures")


@audit.route("/events")
class AuditEvents(MethodView):
    @requires("audit:read")
    @audit.arguments(AuditQuery, location="query")
    @audit.response(200, AuditEntryOut(many=True))
    def get(self, query):
        """Events in log order, by subject (e.g. a case id) or type; page with after_seq."""
        with runtime().db.sessions() as session:
            return handlers.audit_events(session, subject=query.get("subject"), event_type=query.get("type"),
                                         after_seq=query["after_seq"], limit=query["limit"])


@audit.route("/verify")
class AuditVerify(MethodView):
    @requires("audit:read")
    @audit.response(200, VerifyOut)
    def get(self):
        """Recompute the hash chain: valid, or the first bad position and why."""
        with runtime().db.sessions() as session:
            return handlers.verify(session)


@kpis.route("")
class Kpis(MethodView):
    @requires("audit:read")
    @kpis.response(200, KpiOut)
    def get(self):
        """Cases by state."""
        with runtime().db.sessions() as session:
            return handlers.kpis(session)
