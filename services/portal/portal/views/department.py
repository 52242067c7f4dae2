"""The department desk (职能部门工作台): the department's work-order inbox and the handling of one order (sign,
start, answer with up to three photos, return with a reason, ask for more time). The token carries the department, so
routing shows and lets them touch nothing of another department's."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request

from ..desk_forms import AnswerForm, ExtensionForm, ReasonForm, ReturnForm
from ..photos import checked
from . import caller, runtime, signed_in
from .worklist import departments, order_action, order_context, overdue

department = Blueprint("department", __name__, url_prefix="/desk/department")
PAGE = 30
# The inbox's tabs: (key, Chinese name, routing's filter)
# 新工单 leaves out county matters still with the township congress (待转办): the department cannot sign them yet.
TABS = (("new", "新工单（待签收）", {"state": "dispatched", "awaiting_forward": "false"}),
        ("signed", "已签收", {"state": "signed"}),
        ("in_progress", "办理中", {"state": "in_progress"}), ("due_soon", "临近期限", {"due_soon": "true", "open": "true"}),
        ("overdue", "已逾期", {"overdue": "true", "open": "true"}), ("answered", "已办复", {"state": "answered"}))


@department.get("")
@signed_in("department")
def inbox():
    """The inbox: each tab's count, and the chosen tab's orders, the soonest deadline first."""
    services, me = runtime().services, caller()
    tab = request.args.get("tab", "new")
    if tab not in {key for key, _, _ in TABS}:
        tab = "new"
    raw = request.args.get("page", "1")
    page = max(1, min(int(raw), 10000)) if raw.isdigit() else 1
    found = services.get(me, "routing", "/v1/work-orders/counts")  # every tab's count in one call
    waiting = services.get(me, "routing", "/v1/work-orders", state="dispatched", awaiting_forward="false",
                           page_size=1)["total"]  # 新工单 without the county matters still to be forwarded
    counts = {"new": waiting, "signed": found["states"]["signed"],
              "in_progress": found["states"]["in_progress"], "due_soon": found["due_soon"],
              "overdue": found["overdue"], "answered": found["states"]["answered"]}
    params = next(p for key, _, p in TABS if key == tab)
    listed = services.get(me, "routing", "/v1/work-orders", sort="due", page=page, page_size=PAGE, **params)
    for order in listed["items"]:
        order["overdue_now"] = overdue(order.get("due_at"))
    name = next((d["name"] for d in departments() if d["code"] == g.person.department), g.person.department)
    return render_template("department/inbox.html", tabs=TABS, tab=tab, counts=counts, orders=listed, page=page,
                           department_name=name)


def _note(form, default: str) -> dict:
    return {"reason": (form.reason.data or "").strip() or default}


@department.post("/orders/<uuid:order_id>/sign")
@signed_in("department")
def sign(order_id):
    return order_action(str(order_id), "sign", ReasonForm(prefix="sign"), "sign", lambda f: _note(f, "部门签收"), "已签收。",
                {"state": "reason"})


@department.post("/orders/<uuid:order_id>/start")
@signed_in("department")
def start(order_id):
    return order_action(str(order_id), "start", ReasonForm(prefix="start"), "start", lambda f: _note(f, "开始办理"),
                "已开始办理。", {"state": "reason"})


@department.post("/orders/<uuid:order_id>/return")
@signed_in("department")
def return_order(order_id):
    return order_action(str(order_id), "return", ReturnForm(prefix="return"), "return",
                lambda f: {"reason": f.reason.data.strip()}, "已退单，乡镇人大将重新分办。",
                {"state": "reason", "reason": "reason"})


@department.post("/orders/<uuid:order_id>/extension")
@signed_in("department")
def extension(order_id):
    return order_action(str(order_id), "extension-request", ExtensionForm(prefix="extension"), "extension",
                lambda f: {"requested_due_at": f.requested_at.isoformat(), "reason": f.reason.data.strip()},
                "已提交延期申请，等待乡镇人大审批。",
                {"requested_due_at": "requested", "reason": "reason", "state": "requested"})


@department.post("/orders/<uuid:order_id>/answer")
@signed_in("department")
def answer(order_id):
    """办复: the result, with up to three photos of the work done (stored by intake, checked by content as the
    residents' online form checks them)."""
    order_id, form = str(order_id), AnswerForm(prefix="answer")
    services, me = runtime().services, caller()
    order = services.get(me, "routing", f"/v1/work-orders/{order_id}")
    case = services.get(me, "routing", f"/v1/cases/{order['case_id']}")
    leads_mediation = case.get("path") == "joint_mediation" and order["role"] == "lead"
    photos, problem = checked(form.photo.data if form.is_submitted() else None)
    valid = form.validate_on_submit()
    mediation = form.mediation(leads_mediation)
    if problem:
        form.photo.errors = [*form.photo.errors, problem]
        valid = False
    if not valid or (leads_mediation and mediation is None):
        return render_template("desks/order.html", **order_context(order_id, {"answer": form})), 422

    def send(f):
        attachments = []
        for name, body, media_type in photos:
            stored = services.call(me, "POST", "intake", "/v1/attachments", data=body,
                                   params={"grid_id": case["grid_id"], "name": name[:200]},
                                   headers={"Content-Type": media_type})
            attachments.append({k: stored[k] for k in ("id", "name", "media_type", "size")})
        return {"summary": f.summary.data.strip(), "reason": "部门办复", "attachments": attachments,
                "mediation": mediation}

    return order_action(order_id, "answer", form, "answer", send, "已办复，等待首问代表答复群众。",
                {"summary": "summary", "attachments": "photo", "state": "summary", "mediation": "outcome"})
