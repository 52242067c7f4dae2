"""Notify HTTP API, version 1."""
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires
from wangge_common.http import runtime

from . import handlers
from .schemas import NotificationOut, NotificationQuery

notifications = Blueprint("notifications", __name__, url_prefix="/v1/notifications",
                          description="Notifications: what was said to whom, on which channel")


@notifications.route("")
class Notifications(MethodView):
    @requires("notify:read")
    @notifications.arguments(NotificationQuery, location="query")
    @notifications.response(200, NotificationOut(many=True))
    def get(self, query):
        """List notifications by recipient or case."""
        with runtime().db.sessions() as session:
            return handlers.list_notifications(session, **query)
