"""Deputies (人大代表) and party delegates (党代表), and their contact for other services, version 1."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, grid_scope, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of

from ..commands import deputies as commands
from ..queries import deputies as queries
from ..schemas.deputies import ContactOut, DeputyEnd, DeputyIn, DeputyOut, DeputyPatch, DeputyQuery
from .scope import deputy_in_scope, in_scope


deputies = Blueprint("deputies", __name__, url_prefix="/v1/deputies",
                     description="Deputies (人大代表) and party delegates (党代表)")


internal = Blueprint("internal", __name__, url_prefix="/v1/internal",
                     description="Service-to-service reads (scope contacts:read)")


@deputies.route("")
class Deputies(MethodView):
    @requires("roster:read")
    @deputies.arguments(DeputyQuery, location="query")
    @deputies.response(200, page_of(DeputyOut))
    def get(self, query):
        """List deputies, by level, status or grid."""
        with runtime().db.reads() as session:
            return queries.list_deputies(session, **query)

    @requires("roster:admin")
    @deputies.arguments(DeputyIn, example={"name": "李红梅", "gender": "female", "level": "township",
                                           "mobile": "13812345678", "position": "韶山村党支部书记",
                                           "home_grid_id": "9a000000-0000-4000-8000-000000000003",
                                           "constituency": "韶山乡第三选区",
                                           "specialities": ["agriculture"], "capability": 4,
                                           "pledge": "认真倾听群众呼声，及时反映群众诉求。", "term_start": "2021-12-01",
                                           "term_end": "2026-11-30"})
    @deputies.response(201, DeputyOut)
    def post(self, data):
        """Register a deputy; emits deputy.registered. The same person twice (the same external id, ID number or
        mobile) is refused with 409 naming the deputy on the roster (`errors[].existing_id`)."""
        if grid_scope() is not None:
            in_scope(data.get("home_grid_id") or data.get("work_grid_id"), what="deputy's grid")
        with runtime().unit_of_work(actor=actor()) as uow:
            return commands.register_deputy(uow, data)


@deputies.route("/<uuid:deputy_id>")
class DeputyById(MethodView):
    @requires("roster:read")
    @deputies.response(200, DeputyOut)
    def get(self, deputy_id):
        """One deputy; the mobile number is shown masked."""
        with runtime().db.reads() as session:
            return queries.get_deputy(session, str(deputy_id))

    @requires("roster:admin")
    @deputies.arguments(DeputyPatch(partial=True), example={"office_phone": "0731-55681234",
                                                            "phone_display": "office"})
    @deputies.response(200, DeputyOut)
    def patch(self, changes, deputy_id):
        """Change a deputy; emits deputy.updated."""
        deputy_in_scope(str(deputy_id), changes)
        with runtime().unit_of_work(actor=actor()) as uow:
            return commands.update_deputy(uow, str(deputy_id), changes)

    @requires("roster:admin")
    @deputies.response(204)
    def delete(self, deputy_id):
        """Remove a deputy entered by mistake; 409 once the deputy has any history (end the term instead)."""
        with runtime().unit_of_work(actor=actor()) as uow:
            commands.delete_deputy(uow, str(deputy_id))


@deputies.route("/<uuid:deputy_id>/end")
class DeputyEndTerm(MethodView):
    @requires("roster:admin")
    @deputies.arguments(DeputyEnd, example={"reason": "任期届满", "ended_on": "2026-11-30"})
    @deputies.response(200, DeputyOut)
    def post(self, data, deputy_id):
        """End a deputy's term; every live assignment ends too (assignment.ended), then deputy.ended."""
        with runtime().unit_of_work(actor=actor()) as uow:
            return commands.end_deputy(uow, str(deputy_id), **data)


@internal.route("/deputies/<uuid:deputy_id>/contact")
class DeputyContact(MethodView):
    @requires("contacts:read")
    @internal.response(200, ContactOut)
    def get(self, deputy_id):
        """A deputy's contact in clear text, for notify to reach them (never shown publicly)."""
        rt = runtime()
        with rt.db.reads() as session:
            return queries.deputy_contact(session, rt, str(deputy_id))
