"""Notify HTTP API, version 1."""
from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, public, requires
from wangge_common.errors import Invalid
from wangge_common.http import reconcile_blueprint, runtime
from wangge_common.schemas import page_of

from . import egress, queries
from .commands import configuration
from .schemas import (BoardOut, DeliveryOut, DeliveryQuery, NotificationOut, NotificationQuery, RecipientIn,
                      RecipientOut, RecipientPatch, RecipientQuery, TemplateIn, TemplateOut, WebhookCreatedOut, WebhookIn, WebhookOut,
                      WebhookPatch)


def _uow():
    """A change by a person or integrator: its events carry them as actor."""
    return runtime().unit_of_work(actor=actor())

notifications = Blueprint("notifications", __name__, url_prefix="/v1/notifications",
                          description="In-app inbox (站内信): what was said to whom")
deliveries = Blueprint("deliveries", __name__, url_prefix="/v1/deliveries",
                       description="Deliveries (投递): one message, one recipient, one channel, with its state")
templates = Blueprint("templates", __name__, url_prefix="/v1/templates",
                      description="Message templates (模板) in Chinese, per event and audience, versioned")
recipients = Blueprint("recipients", __name__, url_prefix="/v1/recipients",
                       description="Mailboxes of departments (职能部门) and township congress staff (乡镇人大)")
webhooks = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks",
                     description="Webhook subscriptions for integrators, signed with HMAC-SHA256")
board = Blueprint("board", __name__, url_prefix="/v1/board",
                  description="Public board (公示栏): reception schedules and publicised results; no key needed")
internal = reconcile_blueprint(
    "notify", queries.reconcile_cases,
    summary="Of these case ids, the ones whose registration notify handled, with their messages counted (for "
            "`wangge reconcile`)",
    description="`doubled` lists a once-per-case message given twice to one recipient on one channel.")
BLUEPRINTS = (notifications, deliveries, templates, recipients, webhooks, board, internal)


@notifications.route("")
class Notifications(MethodView):
    @requires("notify:read")
    @notifications.arguments(NotificationQuery, location="query")
    @notifications.response(200, page_of(NotificationOut))
    def get(self, query):
        """List inbox messages by recipient or case."""
        with runtime().db.sessions() as session:
            return queries.list_notifications(session, **query)


@deliveries.route("")
class Deliveries(MethodView):
    @requires("notify:read")
    @deliveries.arguments(DeliveryQuery, location="query")
    @deliveries.response(200, page_of(DeliveryOut))
    def get(self, query):
        """List deliveries, newest first, filtered by state, channel, audience, recipient, case or event."""
        with runtime().db.sessions() as session:
            return queries.list_deliveries(session, **query)


@deliveries.route("/<uuid:delivery_id>")
class DeliveryById(MethodView):
    @requires("notify:read")
    @deliveries.response(200, DeliveryOut)
    def get(self, delivery_id):
        """One delivery with its attempts and last error."""
        with runtime().db.sessions() as session:
            return queries.get_delivery(session, str(delivery_id))


@templates.route("")
class Templates(MethodView):
    @requires("notify:read")
    @templates.response(200, TemplateOut(many=True))
    def get(self):
        """Every template key with the version in use, its variables and its history."""
        with runtime().db.sessions() as session:
            return queries.list_templates(session)


@templates.route("/<path:key>")
class TemplateByKey(MethodView):
    @requires("notify:read")
    @templates.response(200, TemplateOut)
    def get(self, key):
        """One template, e.g. `case.registered/reporter`."""
        with runtime().db.sessions() as session:
            return queries.describe_template(session, key)

    @requires("notify:admin")
    @templates.arguments(TemplateIn)
    @templates.response(201, TemplateOut)
    def put(self, data, key):
        """Save a new version (Jinja2, sandboxed); a variable the event does not provide is refused with 422."""
        with _uow() as uow:
            return configuration.save_template(uow, key, **data)


@recipients.route("")
class Recipients(MethodView):
    @requires("notify:read")
    @recipients.arguments(RecipientQuery, location="query")
    @recipients.response(200, page_of(RecipientOut))
    def get(self, query):
        """List the mailboxes notify writes to."""
        with runtime().db.sessions() as session:
            return queries.list_recipients(session, **query)

    @requires("notify:admin")
    @recipients.arguments(RecipientIn)
    @recipients.response(201, RecipientOut)
    def post(self, data):
        """Add a department's (by department code) or the congress staff's mailbox."""
        with _uow() as uow:
            return configuration.add_recipient(uow, data)


@recipients.route("/<uuid:recipient_id>")
class RecipientById(MethodView):
    @requires("notify:admin")
    @recipients.arguments(RecipientPatch)
    @recipients.response(200, RecipientOut)
    def patch(self, changes, recipient_id):
        """Change a mailbox's name or address, or deactivate it (`active: false`)."""
        with _uow() as uow:
            return configuration.change_recipient(uow, str(recipient_id), changes)


def _reachable(url: str | None) -> None:
    """Refuse a webhook URL on loopback, private or other non-public addresses (SSRF), unless allowed."""
    if url is not None:
        reason = egress.check_url(url, runtime().state.settings.webhook_allowed_networks)
        if reason:
            raise Invalid([("url", reason)])


@webhooks.route("")
class Webhooks(MethodView):
    @requires("notify:admin")
    @webhooks.response(200, WebhookOut(many=True))
    def get(self):
        """List subscriptions with their status and failure count."""
        with runtime().db.sessions() as session:
            return queries.list_webhooks(session)

    @requires("notify:admin")
    @webhooks.arguments(WebhookIn)
    @webhooks.response(201, WebhookCreatedOut)
    def post(self, data):
        """Subscribe an endpoint to event types (`case.*` and `*` allowed); the secret is shown only here.

        The URL must reach a public address: loopback, private, link-local and other non-public addresses are
        refused (422) unless the operator allows their network (`WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS`)."""
        _reachable(data["url"])
        with _uow() as uow:
            return configuration.add_webhook(uow, runtime().state.cipher, data)


@webhooks.route("/<uuid:webhook_id>")
class WebhookById(MethodView):
    @requires("notify:admin")
    @webhooks.response(200, WebhookOut)
    def get(self, webhook_id):
        """One subscription; `disabled_reason` says why it stopped."""
        with runtime().db.sessions() as session:
            return queries.webhook_view(queries.get_webhook(session, str(webhook_id)))

    @requires("notify:admin")
    @webhooks.arguments(WebhookPatch)
    @webhooks.response(200, WebhookOut)
    def patch(self, changes, webhook_id):
        """Change the URL or types, or re-enable (`status: active`) a disabled subscription."""
        _reachable(changes.get("url"))
        with _uow() as uow:
            return configuration.change_webhook(uow, str(webhook_id), changes)


@board.route("/grids/<grid_id>")
class GridBoard(MethodView):
    @public
    @board.doc(security=[])
    @board.response(200, BoardOut)
    def get(self, grid_id):
        """A grid's upcoming reception days and publicised results (HTML: /board/grids/{id}, RSS: .rss)."""
        with runtime().db.sessions() as session:
            return queries.board(session, scope="grid", board_id=grid_id)


@board.route("/stations/<station_id>")
class StationBoard(MethodView):
    @public
    @board.doc(security=[])
    @board.response(200, BoardOut)
    def get(self, station_id):
        """A liaison station's upcoming reception days and its grids' publicised results."""
        with runtime().db.sessions() as session:
            return queries.board(session, scope="station", board_id=station_id)
