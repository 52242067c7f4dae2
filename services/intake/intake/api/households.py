"""Intake HTTP API, version 1: household files (一户一档), the visit log and reception-day records."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import require_grid, requires
from wangge_common.schemas import page_of

from .. import commands, queries
from .common import IDEMPOTENCY_DOC, pii_cipher, scoped, idempotent, reads
from ..schemas import (HouseholdChangeIn, HouseholdChangeOut, HouseholdFileOut, HouseholdIn, HouseholdOut,
                      HouseholdQuery, ReceptionQuery, ReceptionSessionIn, ReceptionSessionOut, VisitIn, VisitOut,
                      VisitQuery)

households = Blueprint("households", __name__, url_prefix="/v1/households",
                       description="Household files (一户一档): address, grid, special groups, cases and visits")
visits = Blueprint("visits", __name__, url_prefix="/v1/visits", description="Deputies' visit log (走访记录)")
receptions = Blueprint("reception-sessions", __name__, url_prefix="/v1/reception-sessions",
                       description="Reception-day records (接待活动记录): who was on duty, how long, whom they received")


# --- households, visits, reception sessions --------------------------------------------------------------
@households.route("")
class Households(MethodView):
    @requires("cases:write")
    @households.arguments(HouseholdIn)
    @households.response(201, HouseholdOut)
    @households.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Open a household file; the contact is stored encrypted and shown masked."""
        require_grid(data["grid_id"])
        cipher = pii_cipher()
        return idempotent(lambda uow: (201, HouseholdOut().dump(commands.create_household(uow, data, cipher))),
                          location=lambda body: f"/v1/households/{body['id']}")

    @requires("cases:read")
    @households.arguments(HouseholdQuery, location="query")
    @households.response(200, page_of(HouseholdOut))
    def get(self, query):
        """Find household files by grid or address."""
        with reads() as session:
            return queries.find_households(session, scoped(query), pii_cipher())


@households.route("/<uuid:household_id>")
class HouseholdById(MethodView):
    @requires("cases:read")
    @households.response(200, HouseholdFileOut)
    def get(self, household_id):
        """The household file with every case and visit on it."""
        with reads() as session:
            found = queries.household_file(session, str(household_id), pii_cipher())
        household = found["household"]
        require_grid(household.grid_id, "household")
        household.cases, household.visits = found["cases"], found["visits"]
        return household

    @requires("cases:write")
    @households.arguments(HouseholdChangeIn)
    @households.response(200, HouseholdOut)
    @households.alt_response(409, description="nothing would change")
    @households.alt_response(410, description="the household's personal data was erased")
    @households.doc(parameters=[IDEMPOTENCY_DOC])
    def patch(self, data, household_id):
        """Change the file's members (and so its special groups), contact, address or notes, with a reason; emits
        household.changed (the fields' names only) and keeps the change in the file's history."""
        with reads() as session:
            require_grid(queries.household_file(session, str(household_id), pii_cipher())["household"].grid_id,
                         "household")
        cipher = pii_cipher()
        return idempotent(lambda uow: (200, HouseholdOut().dump(
            commands.change_household(uow, str(household_id), data, cipher))))


@households.route("/<uuid:household_id>/history")
class HouseholdHistory(MethodView):
    @requires("cases:read")
    @households.response(200, HouseholdChangeOut(many=True))
    def get(self, household_id):
        """Every change of the household file, oldest first: what changed, who, when and why."""
        with reads() as session:
            require_grid(queries.household_file(session, str(household_id), pii_cipher())["household"].grid_id,
                         "household")
            return queries.household_history(session, str(household_id))


@visits.route("")
class Visits(MethodView):
    @requires("cases:write")
    @visits.arguments(VisitIn)
    @visits.response(201, VisitOut)
    @visits.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Log a deputy's visit; emits visit.recorded (reporting counts visits and households per deputy)."""
        require_grid(data["grid_id"])
        return idempotent(lambda uow: (201, VisitOut().dump(commands.record_visit(uow, data))))

    @requires("cases:read")
    @visits.arguments(VisitQuery, location="query")
    @visits.response(200, page_of(VisitOut))
    def get(self, query):
        """A deputy's or a grid's visit log, newest first; ?from=&to= dates."""
        with reads() as session:
            return queries.find_visits(session, scoped(query))


@receptions.route("")
class ReceptionSessions(MethodView):
    @requires("cases:write")
    @receptions.arguments(ReceptionSessionIn)
    @receptions.response(201, ReceptionSessionOut)
    @receptions.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Record a reception day; emits reception_session.recorded. The answer says whether it met 2 hours."""
        require_grid(data.get("grid_id"))
        return idempotent(lambda uow: (201, ReceptionSessionOut().dump(commands.record_reception_session(uow, data))))

    @requires("cases:read")
    @receptions.arguments(ReceptionQuery, location="query")
    @receptions.response(200, page_of(ReceptionSessionOut))
    def get(self, query):
        """Reception-day records of a grid or station, newest first."""
        with reads() as session:
            return queries.find_reception_sessions(session, scoped(query))
