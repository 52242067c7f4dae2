"""Routing HTTP API, version 1."""
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires
from wangge_common.http import runtime

from . import handlers
from .schemas import WorkOrderOut, WorkOrderQuery

work_orders = Blueprint("work_orders", __name__, url_prefix="/v1/work-orders",
                        description="Work orders (工单) dispatched to departments")


@work_orders.route("")
class WorkOrders(MethodView):
    @requires("cases:read")
    @work_orders.arguments(WorkOrderQuery, location="query")
    @work_orders.response(200, WorkOrderOut(many=True))
    def get(self, query):
        """List work orders by case, department or state."""
        with runtime().db.sessions() as session:
            return handlers.list_work_orders(session, **query)
