"""建议答复 on the township desk: the suggestions (建议) of the township's deputies still waiting for the
department's reply, and the form that records the reply the office received (roster's duty record)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..clients import ServiceError
from ..duty_forms import SERVICE_REASONS, SuggestionReplyForm
from . import caller, runtime, signed_in
from .deputy import today
from .roster_desk import township_id

suggestions = Blueprint("suggestions", __name__, url_prefix="/desk/township/suggestions")


def _waiting() -> dict:
    return runtime().services.get(caller(), "roster", "/v1/duties", kind="suggestion", replied="false",
                                  township_id=township_id(), page_size=200)


@suggestions.route("", methods=["GET", "POST"])
@signed_in("township_staff")
def waiting():
    """The list, each with its reply form; a refused reply comes back with the reason beside its field."""
    form, status = SuggestionReplyForm(), 200
    if request.method == "POST":
        if form.validate_on_submit() and _send(form):
            flash("已记录部门答复。")
            return redirect(url_for("suggestions.waiting"))
        status = 422
    return render_template("township/suggestions.html", found=_waiting(), form=form,
                           today=today().isoformat()), status


def _send(form) -> bool:
    body = {"outcome": form.outcome.data, "text": form.text.data.strip(), "replied_on": form.replied_on.data}
    try:
        runtime().services.post(caller(), "roster", f"/v1/duties/{form.record_id.data}/reply", body)
    except ServiceError as exc:
        placed = False
        for error in exc.errors if exc.status == 422 else ():
            name = str(error.get("field", ""))
            if hasattr(form, name):
                getattr(form, name).errors = [*getattr(form, name).errors, SERVICE_REASONS.get(name, "未被接受")]
                placed = True
        if not placed:
            flash({409: "这条建议已撤回或不能答复。", 403: "这条建议不是本乡镇代表提出的。"}.get(exc.status, "未保存，请稍后再试。"))
        return False
    return True
