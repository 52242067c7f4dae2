"""Routing HTTP API, version 1."""
from __future__ import annotations

from datetime import date

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, department_scope, grid_scope, public, require_department, require_grid, requires
from wangge_common.db import utcnow
from wangge_common.errors import Invalid
from wangge_common.http import runtime
from wangge_common.paging import page_of
from wangge_common.schemas import ReconcileCasesIn, ReconcileCasesOut

from . import queries
from .commands import catalogue, evaluation, orders, replies, triage
from .commands import holidays as holiday_calendar
from .queries import get_case, load_rules
from .schemas import (
    AnswerIn,
    CaseDetailOut,
    CaseOut,
    CaseQuery,
    CatalogueQuery,
    CloseIn,
    DeadlineRuleIn,
    DeadlineRuleOut,
    DispatchRuleIn,
    DispatchRuleOut,
    EvaluationIn,
    EvaluationOut,
    ExtensionDecisionIn,
    ExtensionIn,
    ForwardIn,
    HolidayChangeOut,
    HolidayIn,
    HolidayOut,
    HolidayQuery,
    HolidayRefreshOut,
    HolidayRemoval,
    LadderQuery,
    LadderRowOut,
    MediationOutcomeIn,
    OnTheSpotIn,
    OrderCountsOut,
    OrderCountsQuery,
    ReplyIn,
    RetireQuery,
    ReturnIn,
    SignIn,
    StaffRatingIn,
    StartIn,
    SuggestionOut,
    SuperviseIn,
    TransitionOut,
    TriageIn,
    WorkOrderOut,
    WorkOrderQuery,
)

work_orders = Blueprint("work_orders", __name__, url_prefix="/v1/work-orders",
                        description="Work orders (工单) dispatched to departments: sign (签收), start, answer, "
                                    "return (退单), extensions")
cases = Blueprint("routed_cases", __name__, url_prefix="/v1/cases",
                  description="Cases as routing runs them: state, history, triage, reply (首问责任), ratings")
evaluations = Blueprint("evaluations", __name__, url_prefix="/v1/evaluations",
                        description="Residents' evaluation (群众评议) through the one-time link; public, the token "
                                    "is the credential")
rules = Blueprint("dispatch_rules", __name__, url_prefix="/v1/dispatch-rules",
                  description="The dispatch catalogue (派单目录): department × category/topic × level, versioned")
deadlines = Blueprint("deadline_rules", __name__, url_prefix="/v1/deadline-rules",
                      description="Deadlines (办理时限) by category, topic and urgency, versioned")
holidays = Blueprint("holidays", __name__, url_prefix="/v1/holidays",
                     description="The holiday calendar working-day deadlines count with")
internal = Blueprint("routing_internal", __name__, url_prefix="/v1/internal",
                     description="Service-to-service reads: reconciliation (cases:read)")
BLUEPRINTS = (cases, work_orders, evaluations, rules, deadlines, holidays, internal)

CONFLICT = {"description": "the action is not allowed in the current state (problem+json names both)"}


def _uow():
    return runtime().unit_of_work(actor=actor(), correlation_id=request.headers.get("X-Correlation-Id"))


def _secret() -> str:
    return runtime().state.token_secret


def _case(case_id) -> dict:
    with runtime().db.sessions() as session:
        return queries.case_detail(session, str(case_id))


def _case_in_scope(case_id) -> None:
    """403 unless the case is in the caller's grids (a person's token); API keys pass."""
    if grid_scope() is not None:
        with runtime().db.sessions() as session:
            require_grid(get_case(session, str(case_id)).grid_id, "case")


def _order_in_scope(order_id) -> None:
    """403 unless the work order is the caller's department's and its case in the caller's grids."""
    if grid_scope() is None and department_scope() is None:
        return
    with runtime().db.sessions() as session:
        order = queries.get_work_order(session, str(order_id))
        require_department(order.department_code)
        if grid_scope() is not None:
            require_grid(get_case(session, order.case_id).grid_id, "work order's case")


# ---- cases -------------------------------------------------------------------------------------------------------

@cases.route("")
class Cases(MethodView):
    @requires("cases:read")
    @cases.arguments(CaseQuery, location="query")
    @cases.response(200, page_of(CaseOut))
    def get(self, query):
        """List cases by state or grid; queue=manual lists the manual triage queue."""
        grids, departments = grid_scope(), department_scope()
        if grids is not None:
            if query.get("grid_id"):
                require_grid(query["grid_id"])
            else:
                query = {**query, "grid_ids": sorted(grids)}
        if departments is not None:
            query = {**query, "departments": sorted(departments)}
        with runtime().db.sessions() as session:
            return queries.list_cases(session, **query)


@cases.route("/<uuid:case_id>")
class CaseById(MethodView):
    @requires("cases:read")
    @cases.response(200, CaseDetailOut)
    def get(self, case_id):
        """One case: current state, its work orders and its full history from routing's transition log. A
        department handler's token sees only its own department's orders and their history (403 without one)."""
        _case_in_scope(case_id)
        detail, departments = _case(case_id), department_scope()
        return detail if departments is None else queries.for_departments(detail, departments)


@cases.route("/<uuid:case_id>/suggestion")
class Suggestion(MethodView):
    @requires("cases:read")
    @cases.response(200, SuggestionOut)
    def get(self, case_id):
        """What the dispatch catalogue (派单目录) would do with the case now, leaving out the departments that
        returned it: shown first when a person triages by hand. path manual: the catalogue has no line for it."""
        _case_in_scope(case_id)
        with runtime().db.sessions() as session:
            return queries.suggestion(session, str(case_id), load_rules(session))


@cases.route("/<uuid:case_id>/triage")
class Triage(MethodView):
    @requires("cases:supervise")
    @cases.arguments(TriageIn, example=TriageIn.Meta.example)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """Triage by hand: town, county (through the township congress), joint mediation, or major issue."""
        _case_in_scope(case_id)
        with _uow() as uow:
            triage.triage_manually(uow, str(case_id), data)
        return _case(case_id)


@cases.route("/<uuid:case_id>/on-the-spot-answer")
class OnTheSpot(MethodView):
    @requires("cases:write")
    @cases.arguments(OnTheSpotIn)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """The receiving deputy answered on the spot (现场解答); that is also the reply, so a rating is requested."""
        _case_in_scope(case_id)
        with _uow() as uow:
            replies.answer_on_the_spot(uow, str(case_id), data, _secret())
        return _case(case_id)


@cases.route("/<uuid:case_id>/replies")
class Replies(MethodView):
    @requires("cases:write")
    @cases.arguments(ReplyIn)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """The first receiver's reply to the reporter (谁接待、谁答复); after the answer it resolves the case."""
        _case_in_scope(case_id)
        with _uow() as uow:
            replies.reply(uow, str(case_id), data, _secret())
        return _case(case_id)


@cases.route("/<uuid:case_id>/ratings")
class Ratings(MethodView):
    @requires("cases:evaluate")
    @cases.arguments(StaffRatingIn)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """Record the reporter's rating taken at the station, by a call-taker or on a return visit (回访)."""
        _case_in_scope(case_id)
        with _uow() as uow:
            evaluation.rate_by_staff(uow, str(case_id), data)
        return _case(case_id)


@cases.route("/<uuid:case_id>/close")
class Close(MethodView):
    @requires("cases:supervise")
    @cases.arguments(CloseIn)
    @cases.response(200, CaseDetailOut)
    @cases.alt_response(409, description=CONFLICT["description"])
    def post(self, data, case_id):
        """The supervising body closes an escalated case (outcome unsatisfied or not_rated, never satisfied)."""
        _case_in_scope(case_id)
        with _uow() as uow:
            replies.close_escalated(uow, str(case_id), data)
        return _case(case_id)


# ---- work orders ---------------------------------------------------------------------------------------------------

@work_orders.route("")
class WorkOrders(MethodView):
    @requires("cases:read")
    @work_orders.arguments(WorkOrderQuery, location="query")
    @work_orders.response(200, page_of(WorkOrderOut))
    def get(self, query):
        """List work orders by department, state, due date or case (a department's own list: department=code)."""
        departments, grids = department_scope(), grid_scope()
        if departments is not None:
            if query.get("department"):
                require_department(query["department"])
            query = {**query, "departments": sorted(departments)}
        if grids is not None:
            query = {**query, "grid_ids": sorted(grids)}
        with runtime().db.sessions() as session:
            return queries.list_work_orders(session, **query)


@work_orders.route("/ladder")
class EscalationLadder(MethodView):
    @requires("cases:read")
    @work_orders.arguments(LadderQuery, location="query")
    @work_orders.response(200, LadderRowOut(many=True))
    def get(self, query):
        """The escalation ladder: per grid of the cases and per step (催办, 督办, 提级督办), how many work orders stand
        there (open ones by default); a person's token counts its own grids or department only."""
        with runtime().db.sessions() as session:
            return queries.escalation_ladder(session, open=query["open"], grid_ids=_sorted(grid_scope()),
                                             departments=_sorted(department_scope()))


def _sorted(scope):
    return sorted(scope) if scope is not None else None


@work_orders.route("/counts")
class WorkOrderCounts(MethodView):
    @requires("cases:read")
    @work_orders.arguments(OrderCountsQuery, location="query")
    @work_orders.response(200, OrderCountsOut)
    def get(self, query):
        """How many work orders in each state, and how many open ones are due soon, overdue or waiting for an
        extension decision, within the caller's data scope (a desk's tab counts in one call)."""
        departments, grids = department_scope(), grid_scope()
        if departments is not None and query.get("department"):
            require_department(query["department"])
        with runtime().db.sessions() as session:
            return queries.order_counts(session, departments=sorted(departments) if departments is not None else None,
                                        grid_ids=sorted(grids) if grids is not None else None,
                                        department=query.get("department"))


@work_orders.route("/<uuid:order_id>")
class WorkOrderById(MethodView):
    @requires("cases:read")
    @work_orders.response(200, WorkOrderOut)
    def get(self, order_id):
        """One work order."""
        _order_in_scope(order_id)
        with runtime().db.sessions() as session:
            return queries.get_work_order(session, str(order_id))


@work_orders.route("/<uuid:order_id>/history")
class WorkOrderHistory(MethodView):
    @requires("cases:read")
    @work_orders.response(200, TransitionOut(many=True))
    def get(self, order_id):
        """Every change of one work order, oldest first (dispatch, signing, supervision, extensions, answer,
        return), with the actor and reason of each: what a department handler may see of the case's history."""
        _order_in_scope(order_id)
        with runtime().db.sessions() as session:
            return queries.order_history(session, str(order_id))


def _order_action(name: str, schema, command, doc: str, *, scope: str = "orders:handle", secret: bool = False):
    def post(self, data, order_id):
        _order_in_scope(order_id)
        with _uow() as uow:
            args = (uow, str(order_id), data) + ((_secret(),) if secret else ())
            order = command(*args)
        return order

    post.__doc__ = doc
    post = work_orders.alt_response(409, description=CONFLICT["description"])(post)
    post = work_orders.response(200, WorkOrderOut)(post)
    post = work_orders.arguments(schema)(post)
    post = requires(scope)(post)
    view = type(f"WorkOrder{name.title().replace('-', '')}", (MethodView,), {"post": post})
    work_orders.route(f"/<uuid:order_id>/{name}")(view)


_order_action("forward", ForwardIn, orders.forward, "转办: the township congress (镇人大) forwards a county matter "
              "it received to the county department, with a reason; the department's signing limit and handling "
              "deadline count from now. Emits work_order.forwarded (actor: the staff member). 409 unless the order "
              "awaits its forward.", scope="cases:supervise")
_order_action("sign", SignIn, orders.sign, "Sign for the order (签收); the handling deadline has run since dispatch "
              "(a county matter: since the township congress forwarded it). 409 while the order awaits its forward.")
_order_action("start", StartIn, orders.start, "Start handling.")
_order_action("answer", AnswerIn, orders.answer, "Answer the order; a joint mediation's lead records the "
              "mediated outcome, which resolves the case.", secret=True)
_order_action("mediation-outcome", MediationOutcomeIn, orders.record_mediation,
              "The lead department of a joint mediation records the mediated outcome (agreement, partial, "
              "no_agreement) and the mediators; this answers its order and resolves the case.", secret=True)
_order_action("return", ReturnIn, orders.return_order, "Return the order (退单) with a reason; the case is "
              "re-routed, or escalated after repeated returns.")
_order_action("supervise", SuperviseIn, orders.supervise, "催办 / 督办 / 提级督办 by township congress staff, with a "
              "reason: 督办 puts the order under the township presidium, 提级督办 under the county level (the same "
              "effect as the deadline ladder); emits case.escalated with trigger manual.", scope="cases:supervise")
_order_action("extension-request", ExtensionIn, orders.request_extension,
              "Ask for a later deadline; township congress staff decide.")
_order_action("extension-decision", ExtensionDecisionIn, orders.decide_extension,
              "Approve or refuse a pending extension request.", scope="cases:supervise")


# ---- residents' evaluation -----------------------------------------------------------------------------------------

@evaluations.route("/<string:token>")
class EvaluationByToken(MethodView):
    @public
    @evaluations.response(200, EvaluationOut)
    @evaluations.alt_response(404, description="the link is not valid")
    def get(self, token):
        """What the link is about (no personal data) and whether a rating can still be given."""
        return _evaluation(token)

    @public
    @evaluations.arguments(EvaluationIn, example=EvaluationIn.Meta.example)
    @evaluations.response(200, EvaluationOut)
    @evaluations.alt_response(404, description="the link is not valid")
    @evaluations.alt_response(409, description="the link was already used")
    @evaluations.alt_response(410, description="the link has expired")
    @evaluations.alt_response(429, description="too many ratings from this client address (keyed callers are exempt)")
    def post(self, data, token):
        """Rate the answer once: satisfied, basically_satisfied or unsatisfied (unsatisfied reopens the case)."""
        with runtime().unit_of_work(actor="resident:evaluation-link") as uow:
            evaluation.rate_by_link(uow, token, data, _secret())
        return _evaluation(token)


def _evaluation(token: str) -> dict:
    with runtime().db.sessions() as session:
        found = queries.evaluation_by_token(session, token, _secret())
        case = get_case(session, found.case_id)
    waiting = case.state == "resolved" and case.evaluation_round == found.round
    status = ("used" if found.used_at else "expired" if utcnow() >= found.expires_at
              else "open" if waiting else "closed")
    return {"tracking_code": case.tracking_code, "category": case.category, "topic": case.topic,
            "answered_by": case.answered_by, "answer_summary": case.answer_summary, "round": found.round,
            "expires_at": found.expires_at, "open": status == "open", "status": status,
            "rating": found.rating}


# ---- catalogue, deadlines, holidays --------------------------------------------------------------------------------

def _versioned(blp: Blueprint, kind: str, schema_in, schema_out, what: str):
    """List / add / revise / retire / history endpoints of a versioned rule table."""

    class Lines(MethodView):
        @requires("cases:read")
        @blp.arguments(CatalogueQuery, location="query")
        @blp.response(200, schema_out(many=True))
        def get(self, query):
            with runtime().db.sessions() as session:
                return queries.list_lines(session, kind, **query)

        @requires("routing:admin")
        @blp.arguments(schema_in, example=schema_in.Meta.example)
        @blp.response(201, schema_out)
        def post(self, data):
            with _uow() as uow:
                line = catalogue.create_line(uow, kind, data)
            runtime().state.catalogue.forget()
            return line

    class Line(MethodView):
        @requires("cases:read")
        @blp.response(200, schema_out)
        def get(self, line_id):
            with runtime().db.sessions() as session:
                return queries.get_line(session, kind, line_id)

        @requires("routing:admin")
        @blp.arguments(schema_in, example=schema_in.Meta.example)
        @blp.response(200, schema_out)
        @blp.alt_response(409, description="the line is a retired version")
        def put(self, data, line_id):
            with _uow() as uow:
                line = catalogue.revise_line(uow, kind, line_id, data)
            runtime().state.catalogue.forget()
            return line

        @requires("routing:admin")
        @blp.arguments(RetireQuery, location="query")
        @blp.response(200, schema_out)
        @blp.alt_response(409, description="the line is already retired")
        def delete(self, query, line_id):
            with _uow() as uow:
                line = catalogue.retire_line(uow, kind, line_id, query["reason"])
            runtime().state.catalogue.forget()
            return line

    class History(MethodView):
        @requires("cases:read")
        @blp.response(200, schema_out(many=True))
        def get(self, line_id):
            with runtime().db.sessions() as session:
                return queries.line_history(session, kind, line_id)

    Lines.get.__doc__ = f"The active {what} (include_retired=true: every version)."
    Lines.post.__doc__ = f"Add a {what} line."
    Line.get.__doc__ = f"One {what} line (any version)."
    Line.put.__doc__ = f"Revise a {what} line: the old version is retired and kept; answers the new version."
    Line.delete.__doc__ = f"Retire a {what} line (kept in the history) with a reason."
    History.get.__doc__ = f"Every version of a {what} line, oldest first."
    blp.route("")(Lines)
    blp.route("/<int:line_id>")(Line)
    blp.route("/<int:line_id>/history")(History)


_versioned(rules, "dispatch", DispatchRuleIn, DispatchRuleOut, "dispatch catalogue (派单目录)")
_versioned(deadlines, "deadline", DeadlineRuleIn, DeadlineRuleOut, "deadline rules (办理时限)")


@holidays.route("")
class Holidays(MethodView):
    @requires("cases:read")
    @holidays.arguments(HolidayQuery, location="query")
    @holidays.response(200, HolidayOut(many=True))
    def get(self, query):
        """The calendar's holidays and weekend working days, by year."""
        with runtime().db.sessions() as session:
            return queries.list_holidays(session, query.get("year"))


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid([("day", "must be a date like 2026-10-01")]) from None


@holidays.route("/<string:day>")
class HolidayByDay(MethodView):
    @requires("routing:admin")
    @holidays.arguments(HolidayIn)
    @holidays.response(200, HolidayOut)
    def put(self, data, day):
        """Set a day as a holiday, or a weekend day as a working day (调休)."""
        with _uow() as uow:
            return catalogue.put_holiday(uow, _day(day), data)

    @requires("routing:admin")
    @holidays.arguments(HolidayRemoval, location="query")
    @holidays.response(204)
    def delete(self, query, day):
        """The day counts by its weekday again (a seeded day stays listed as a local `weekday`, so no refresh
        undoes the change)."""
        with _uow() as uow:
            catalogue.delete_holiday(uow, _day(day), query.get("reason"))


@holidays.route("/history")
class HolidayHistory(MethodView):
    @requires("cases:read")
    @holidays.arguments(HolidayQuery, location="query")
    @holidays.response(200, HolidayChangeOut(many=True))
    def get(self, query):
        """Every change of the calendar, oldest first: local changes with their actor and reason, and refreshes."""
        with runtime().db.sessions() as session:
            return queries.holiday_history(session, query.get("year"))


@holidays.route("/refresh")
class HolidayRefresh(MethodView):
    @requires("routing:admin")
    @holidays.response(200, HolidayRefreshOut)
    def post(self):
        """Refresh the seeded days from chinese-calendar now (the scheduler also does, every 6 hours); local days
        are left as they are."""
        now = utcnow()
        with _uow() as uow:
            changed = holiday_calendar.refresh(uow.session, now, actor=uow.actor, uow=uow)
        return {"changed": changed, "years": list(range(now.year - 1, now.year + 3))}


@internal.route("/reconcile/cases")
class ReconcileCases(MethodView):
    @requires("cases:read")
    @internal.arguments(ReconcileCasesIn)
    @internal.response(200, ReconcileCasesOut)
    def post(self, body):
        """Of these case ids, the ones routing holds, with their state and work orders (for `wangge reconcile`)."""
        with runtime().db.sessions() as session:
            return {"cases": queries.reconcile_cases(session, body["case_ids"])}
