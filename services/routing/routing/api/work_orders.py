"""Work orders (工单) as departments and township congress staff handle them: lists, counts, the ladder, one order,
its history, and one endpoint per action (forward, sign, start, answer, return, supervise, extensions)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import department_scope, grid_scope, require_department, requires
from wangge_common.http import runtime
from wangge_common.paging import page_of

from .. import queries
from ..commands import orders
from ..schemas.cases import TransitionOut
from ..schemas.work_orders import (AnswerIn, ExtensionDecisionIn, ExtensionIn, ForwardIn, LadderQuery, LadderRowOut,
                                   MediationOutcomeIn, OrderCountsOut, OrderCountsQuery, ReturnIn, SignIn, StartIn,
                                   SuperviseIn, WorkOrderOut, WorkOrderQuery)
from .common import CONFLICT, link_secret, order_in_scope, sorted_scope, unit_of_work

work_orders = Blueprint("work_orders", __name__, url_prefix="/v1/work-orders",
                        description="Work orders (工单) dispatched to departments: sign (签收), start, answer, "
                                    "return (退单), extensions")


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
            return queries.escalation_ladder(session, open=query["open"], grid_ids=sorted_scope(grid_scope()),
                                             departments=sorted_scope(department_scope()))


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
        order_in_scope(order_id)
        with runtime().db.sessions() as session:
            return queries.get_work_order(session, str(order_id))


@work_orders.route("/<uuid:order_id>/history")
class WorkOrderHistory(MethodView):
    @requires("cases:read")
    @work_orders.response(200, TransitionOut(many=True))
    def get(self, order_id):
        """Every change of one work order, oldest first (dispatch, signing, supervision, extensions, answer,
        return), with the actor and reason of each: what a department handler may see of the case's history."""
        order_in_scope(order_id)
        with runtime().db.sessions() as session:
            return queries.order_history(session, str(order_id))


def _order_action(name: str, schema, command, doc: str, *, scope: str = "orders:handle", secret: bool = False):
    def post(self, data, order_id):
        order_in_scope(order_id)
        with unit_of_work() as uow:
            args = (uow, str(order_id), data) + ((link_secret(),) if secret else ())
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
