"""Portal app factory."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, jsonify, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect

from wangge_common import clock, telemetry
from wangge_common.contracts.labels import label, labels

from .clients import ServiceError
from .domain import ROLE_LABELS
from .runtime import PortalRuntime
from .settings import PortalSettings
from .views import limiter, load_person
from .views.admin import admin
from .views.auth import auth
from .views.contacts import contacts
from .views.deputy import deputy
from .views.auditor import auditor
from .views.department import department
from .views.duties import duties
from .views.projects import projects
from .views.suggestions import suggestions
from .views.desks import desks
from .views.entities import entities
from .views.hotline import hotline
from .views.reception_desk import reception_desk
from .views.roster_desk import roster_desk
from .views.roster_plans import roster_plans
from .views.station import station
from .views.supervisor import supervisor
from .views.township import township
from .views.worklist import worklist

MAX_UPLOAD = 3 * 5 * 1024 * 1024 + 256 * 1024  # three 5 MB photos and the form around them


def create_app(settings: PortalSettings | None = None) -> Flask:
    settings = settings or PortalSettings.from_env()
    telemetry.configure("portal", "web", settings)
    app = Flask("portal")
    app.config.update(
        SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=MAX_UPLOAD,
        SESSION_COOKIE_NAME="wangge_portal", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        WTF_CSRF_TIME_LIMIT=settings.session_max_hours * 3600,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage, RATELIMIT_HEADERS_ENABLED=True,
    )
    app.extensions["portal"] = PortalRuntime(settings)
    CSRFProtect(app)
    limiter.init_app(app)
    app.before_request(load_person)
    for blueprint in (auth, admin, station, deputy, contacts, hotline, desks, township, department, worklist,
                      roster_desk, reception_desk, roster_plans, supervisor, auditor, entities, duties, projects,
                      suggestions):
        app.register_blueprint(blueprint)
    app.jinja_env.filters["label"] = lambda code, kind, default="其他": label(kind, code) or default
    app.jinja_env.filters["local"] = _local
    app.jinja_env.globals["ROLE_LABELS"] = ROLE_LABELS
    app.jinja_env.globals["EVENT_TYPES"] = labels("event_type")
    _errors(app)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service="portal")

    @app.get("/.well-known/jwks.json")
    def jwks():
        """The public keys of the people's access tokens, for services configured with a JWKS URL."""
        return jsonify(app.extensions["portal"].issuer.jwks())

    return app


def _local(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return clock.local_text(value or None, fmt)


def _errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf(_exc):
        return render_template("error.html", title="页面已过期",
                               message="表单已过期或缺少安全校验，请返回刷新页面后重新提交。"), 400

    @app.errorhandler(429)
    def throttled(exc):
        return render_template("error.html", title="操作太频繁",
                               message="您提交得太频繁了，请稍等几分钟再试。"), 429, getattr(exc, "headers", None) or {}

    @app.errorhandler(403)
    def forbidden(_exc):
        return render_template("error.html", title="无权访问", message="您的账户不能打开这个页面。"), 403

    @app.errorhandler(404)
    def not_found(_exc):
        return render_template("error.html", title="页面不存在", message="没有找到这个页面。"), 404

    @app.errorhandler(413)
    def too_large(_exc):
        return render_template("error.html", title="文件太大",
                               message="上传的照片总计太大：最多 3 张，每张不超过 5 MB。"), 413

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if exc.status == 403:
            return render_template("error.html", title="无权操作",
                                   message="这项数据不在您的网格或部门范围内。"), 403
        if exc.status == 404:
            return render_template("error.html", title="没有找到", message="没有找到这项记录。"), 404
        return render_template("error.html", title="暂时无法办理",
                               message="后台服务暂时无法完成这项操作，请稍后再试。"), 502
