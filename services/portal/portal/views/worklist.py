"""What the township and department desks share: grid and department names, the history of a case or an order in
Chinese, a service's refusal put beside the form's fields, and the page of one case and of one work order."""
from __future__ import annotations

import threading
import time

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for

from wangge_common import clock
from wangge_common.contracts.labels import label

from ..clients import ServiceError
from ..desk_forms import (AnswerForm, ExtensionDecisionForm, ExtensionForm, ForwardForm, ReasonForm, ReturnForm,
                          ReturnVisitForm, SuperviseForm, TriageForm)
from ..domain import photo_media_type
from . import caller, runtime, signed_in

worklist = Blueprint("worklist", __name__, url_prefix="/desk")
DESK_ROLES = ("township_staff", "department")
# Who may open a case's or an order's page: everyone who works on cases reads what their token allows (the services
# limit it to their grids or department); only the desks' roles get forms.
VIEW_ROLES = (*DESK_ROLES, "deputy", "supervisor", "auditor")
NAME_TTL_S = 300
_names: dict[tuple, tuple[float, object]] = {}
_lock = threading.Lock()

OPEN_ORDER = ("dispatched", "signed", "in_progress")  # a work order still being handled
MIRRORED = ("case.signed", "case.started", "case.answered", "case.returned")
# Where a service's field name shows up in our forms, and what a refusal means in Chinese.
REFUSALS = {409: "当前状态下不能这样办理（可能已被他人办理），请查看办理记录后再试。",
            422: "填写的内容未通过校验，请检查后再提交。", 403: "这项数据不在您的网格或部门范围内。"}


def _cached(key: tuple, load):
    now = time.monotonic()
    with _lock:
        hit = _names.get(key)
    if hit and hit[0] > now:
        return hit[1]
    value = load()
    with _lock:
        if len(_names) > 20000:
            _names.clear()
        _names[key] = (now + NAME_TTL_S, value)
    return value


def grid_name(grid_id: str | None) -> str:
    """A grid's name from roster, kept five minutes (names change a few times a year)."""
    if not grid_id:
        return ""

    def load():
        try:
            return runtime().services.get(caller(), "roster", f"/v1/grids/{grid_id}")["name"]
        except ServiceError:
            return "（未知网格）"
    return _cached(("grid", grid_id), load)


def departments() -> list[dict]:
    """The departments of the active dispatch catalogue (派单目录), with the level each serves: the choices of the
    triage form, so nobody types a department code."""
    def load():
        found: dict[str, dict] = {}
        for line in runtime().services.get(caller(), "routing", "/v1/dispatch-rules"):
            entry = found.setdefault(line["department_code"], {"code": line["department_code"],
                                                               "name": line["department_name"], "levels": set()})
            entry["levels"].add(line["level"])
        return sorted(found.values(), key=lambda d: (d["code"].startswith("county"), d["code"]))
    return _cached(("catalogue",), load)  # the catalogue changes a few times a year; five minutes is fresh enough


def history_rows(history: list[dict]) -> list[dict]:
    """The case's or order's history as people read it: what happened (Chinese), who did it, when, why."""
    rows = []
    # the case's own mirror of an order event (签收, 开始办理, 办复, 退单) would show each step twice
    for entry in (h for h in history if h["event_type"] not in MIRRORED):
        details = entry.get("details") or {}
        what = label("event_type", entry["event_type"])
        if details.get("step"):  # 催办 / 督办 / 提级督办 / 重大问题: the step says what happened
            what = label("escalation_step", details["step"])
        if details.get("rating"):
            what += f"：{label('rating', details['rating'])}"
        if entry["event_type"] == "work_order.extension_decided":
            what += "：同意" if details.get("approved") else "：不同意"
        rows.append({"what": what, "who": actor_name(entry.get("actor")), "at": entry["at"],
                     "reason": reason_text(entry.get("reason") or "", details),
                     "department": (details.get("department") or {}).get("name"),
                     "attachments": details.get("attachments") or []})
    return rows


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def reason_text(reason: str, details: dict) -> str:
    """The reason as a person reads it: what a person wrote (routing keeps it after its own English words, e.g.
    "re-triaged by hand: 经核实…"), else a Chinese account built from the event's codes, never English."""
    written = next((part for part in reversed(reason.split(": ")) if _chinese(part)), "")
    if written and not any("a" <= ch.lower() <= "z" for ch in written):
        return written
    return "；".join(_reason_from_codes(details)) or written


def _reason_from_codes(details: dict) -> list[str]:
    """What the event's codes say, in Chinese: the triage path, the escalation's trigger and target, the rating's
    way, the reply's channel, the answer's summary, the deadline set or asked for."""
    said = []
    if details.get("path"):
        said.append(f"分办方式：{label('triage_path', details['path'])}")
    if details.get("trigger"):
        said.append(f"原因：{label('escalation_trigger', details['trigger'])}")
    if details.get("target"):
        said.append(f"督办单位：{details['target']}")
    if details.get("via"):
        said.append(label("rating_via", details["via"]))
    if details.get("channel"):
        said.append(label("reply_channel", details["channel"]))
    if details.get("summary"):
        said.append(details["summary"])
    if details.get("due_at") and details.get("deadline_rule") is not None:
        said.append(f"办理期限 {_local(details['due_at'])}")
    if details.get("requested_due_at"):
        said.append(f"申请延期至 {_local(details['requested_due_at'])}")
    return said


def _local(value: str) -> str:
    return clock.local_text(value)


def actor_name(actor: str | None) -> str:
    """person:<id> → the account's name (from the portal's own accounts); other actors by kind."""
    from .. import queries

    if not actor:
        return ""
    kind, _, ident = actor.partition(":")
    if kind == "person":
        with runtime().db.sessions() as db:
            account = queries.account(db, ident)
        return account.display_name if account else "工作人员"
    return {"apikey": "系统", "resident": "群众", "system": "系统"}.get(kind, "系统")


def refusal(exc: ServiceError, form, fields: dict[str, str]) -> None:
    """Put a service's 409/422 beside the form's field it names (Chinese text; the service's own words are for
    integrators); anything else is the error page's business."""
    if exc.status not in (409, 422):
        raise exc
    placed = False
    for error in exc.errors:
        name = fields.get(error.get("field", "").split(".")[0])
        if name and hasattr(form, name):
            getattr(form, name).errors = [*getattr(form, name).errors, REFUSALS[exc.status]]
            placed = True
    if not placed:
        form.form_errors = [*form.form_errors, REFUSALS[exc.status]]


def overdue(value: str | None) -> bool:
    return bool(value) and clock.parse_time(value) < clock.now()


def case_context(case_id: str, forms: dict | None = None) -> dict:
    """Everything the signed-in person may see of a case: routing's state, orders and history (a department
    only its own), intake's content; the forms their role may use in the case's state."""
    services, me, role = runtime().services, caller(), g.person.role
    routed = services.get(me, "routing", f"/v1/cases/{case_id}")
    registered = services.get(me, "intake", f"/v1/cases/{case_id}")
    context = {"case": routed, "registered": registered, "grid": grid_name(routed["grid_id"]),
               "history": history_rows(routed["history"]), "forms": forms or {}}
    if role != "township_staff":
        return context
    forms = context["forms"]
    if routed["state"] in ("triaged", "returned", "reopened", "escalated", "assigned", "registered") and not any(
            o["state"] in ("signed", "in_progress") for o in routed["work_orders"]):
        context["suggestion"] = services.get(me, "routing", f"/v1/cases/{case_id}/suggestion")
        context["departments"] = departments()
        context["deputies"] = grid_deputies(routed["grid_id"])
        forms.setdefault("triage", _triage_form(context))
    if routed["state"] == "resolved":
        forms.setdefault("visit", ReturnVisitForm())
    return context


def _triage_form(context: dict) -> TriageForm:
    """The triage form with the catalogue's suggestion already chosen."""
    suggestion = context["suggestion"]
    form = TriageForm(path=suggestion["path"] if suggestion["path"] in ("town", "county", "major_issue") else None,
                      department=suggestion.get("department_code"))
    return with_choices(form, context)


def with_choices(form: TriageForm, context: dict) -> TriageForm:
    every = [(d["code"], d["name"]) for d in context["departments"]]
    form.department.choices = [("", "请选择")] + every
    form.lead.choices = [("", "请选择")] + every
    form.members.choices = every
    form.deputy.choices = [("", "请选择")] + [(d["deputy_id"], d["deputy_name"]) for d in context["deputies"]]
    return form


def grid_deputies(grid_id: str) -> list[dict]:
    """The deputies serving a grid now (or its parent's, for a group without its own)."""
    services, me = runtime().services, caller()
    found = services.get(me, "roster", "/v1/assignments", grid_id=grid_id, current="true", page_size=100)
    items = found["items"] if isinstance(found, dict) else found
    if not items:
        parent = services.get(me, "roster", f"/v1/grids/{grid_id}").get("parent_id")
        if parent:
            found = services.get(me, "roster", "/v1/assignments", grid_id=parent, current="true", page_size=100)
            items = found["items"] if isinstance(found, dict) else found
    return items


def order_context(order_id: str, forms: dict | None = None) -> dict:
    """One work order with its history, its case as the person may see it, and the actions open to them."""
    services, me = runtime().services, caller()
    order = services.get(me, "routing", f"/v1/work-orders/{order_id}")
    history = services.get(me, "routing", f"/v1/work-orders/{order_id}/history")
    routed = services.get(me, "routing", f"/v1/cases/{order['case_id']}")
    registered = services.get(me, "intake", f"/v1/cases/{order['case_id']}")
    return {"order": order, "history": history_rows(history), "case": routed, "registered": registered,
            "grid": grid_name(routed["grid_id"]), "forms": _order_forms(order, g.person.role, dict(forms or {})),
            "overdue_now": overdue(order.get("due_at")),
            "leads_mediation": routed.get("path") == "joint_mediation" and order["role"] == "lead"}


def _order_forms(order: dict, role: str, forms: dict) -> dict:
    """The forms of the actions open to the role on the order (the forms given, carrying a refusal, stay)."""
    if role == "department":
        # still with the township congress (待转办): the department acts once it is forwarded
        return {} if order.get("awaiting_forward") else _department_forms(order, forms)
    if role == "township_staff":
        return _township_forms(order, forms)
    return forms


def _department_forms(order: dict, forms: dict) -> dict:
    """签收 a dispatched order, 开始办理 a signed one, 办复 or ask for more time (延期) while it is handled, 退单 while
    it is open."""
    if order["state"] not in OPEN_ORDER:
        return forms
    if order["state"] == "dispatched":
        forms.setdefault("sign", ReasonForm(prefix="sign"))
    if order["state"] == "signed":
        forms.setdefault("start", ReasonForm(prefix="start"))
    if order["state"] in ("signed", "in_progress"):
        forms.setdefault("answer", AnswerForm(prefix="answer"))
        if not order.get("extension_requested_due_at"):
            forms.setdefault("extension", ExtensionForm(prefix="extension"))
    forms.setdefault("return", ReturnForm(prefix="return"))
    return forms


def _township_forms(order: dict, forms: dict) -> dict:
    """转办 an order awaiting it; 督办 an open one, and decide the extension it asks for."""
    if order.get("awaiting_forward"):
        forms.setdefault("forward", ForwardForm(prefix="forward"))
    if order["state"] in OPEN_ORDER:
        forms.setdefault("supervise", SuperviseForm(prefix="supervise"))
        if order.get("extension_requested_due_at"):
            forms.setdefault("decide", ExtensionDecisionForm(prefix="decide"))
    return forms


@worklist.get("/cases/<uuid:case_id>")
@signed_in(*VIEW_ROLES)
def case_page(case_id):
    """One case: everything the signed-in person may see about it, and what they may do now."""
    return render_template("desks/case.html", **case_context(str(case_id)))


@worklist.get("/orders/<uuid:order_id>")
@signed_in(*VIEW_ROLES)
def order_page(order_id):
    """One work order: the department's handling page, or the township's supervision page."""
    return render_template("desks/order.html", **order_context(str(order_id)))


@worklist.get("/attachments/<uuid:attachment_id>")
@signed_in(*VIEW_ROLES)
def attachment(attachment_id):
    """A photo kept by intake, fetched with the person's token (so only within their data scope)."""
    body = runtime().services.call(caller(), "GET", "intake", f"/v1/attachments/{attachment_id}")
    media_type = photo_media_type(body[:8]) if isinstance(body, bytes) else None
    if media_type is None:
        abort(404)
    return Response(body, mimetype=media_type, headers={"Cache-Control": "private, no-store",
                                                        "X-Content-Type-Options": "nosniff"})


def order_action(order_id: str, action: str, form, name: str, body, done: str, fields: dict):
    """A desk's action on a work order (sign, answer, 督办, 转办, …): routing's POST …/{action} with the form's body;
    back to the order page when done, else the page again with the form (`name`) and the reason beside its fields."""
    if form.validate_on_submit():
        try:
            runtime().services.post(caller(), "routing", f"/v1/work-orders/{order_id}/{action}", body(form))
            flash(done)
            return redirect(url_for("worklist.order_page", order_id=order_id))
        except ServiceError as exc:
            refusal(exc, form, fields)
    return render_template("desks/order.html", **order_context(order_id, {name: form})), 422
