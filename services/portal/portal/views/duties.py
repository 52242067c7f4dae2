"""履职登记: a deputy's duty record on a phone — what they did beyond the cases, and this year's targets."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..clients import ServiceError
from ..duty_forms import SERVICE_REASONS, DutyForm, WithdrawDutyForm
from . import caller, runtime, signed_in
from .deputy import today

duties = Blueprint("duties", __name__, url_prefix="/deputy/duties")


def _year() -> dict:
    return runtime().services.get(caller(), "roster", f"/v1/deputies/{g.person.deputy_id}/duties")


def _place(form, exc: ServiceError) -> bool:
    """Roster's refusal beside the field it names, in Chinese; False when no field was named."""
    placed = False
    for error in exc.errors:
        name = str(error.get("field", "")).split(".")[0]
        field = getattr(form, name, None)
        if field is not None and exc.status == 422:
            field.errors = [*field.errors, SERVICE_REASONS.get(name, "未被接受，请检查填写的内容")]
            placed = True
    return placed


@duties.route("", methods=["GET", "POST"])
@signed_in("deputy")
def record():
    """The year's record with its targets, and the form to add an entry."""
    form = DutyForm()
    if request.method == "GET":
        form.occurred_on.data = today().isoformat()
    elif form.validate_on_submit():
        body = {"kind": form.kind.data, "occurred_on": form.occurred_on.data, "title": form.title.data.strip(),
                "summary": (form.summary.data or "").strip() or None,
                "addressed_to": (form.addressed_to.data or "").strip() or None}
        try:
            runtime().services.post(caller(), "roster", f"/v1/deputies/{g.person.deputy_id}/duties", body)
        except ServiceError as exc:
            if not _place(form, exc):
                flash({409: "代表当前不在任，不能登记。", 403: "只能登记本人派驻网格的履职。"}.get(exc.status, "未保存，请稍后再试。"))
        else:
            flash("已登记。")
            return redirect(url_for("duties.record"))
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template("deputy/duties.html", form=form, year=_year(), withdraw=WithdrawDutyForm(),
                           status=status), status


@duties.post("/withdraw")
@signed_in("deputy")
def withdraw():
    form = WithdrawDutyForm()
    if not form.validate_on_submit():
        flash("撤回须写明原因。")
        return redirect(url_for("duties.record"))
    try:
        runtime().services.post(caller(), "roster", f"/v1/duties/{form.record_id.data}/withdraw",
                                {"reason": form.reason.data.strip()})
    except ServiceError as exc:
        flash({409: "这条记录已经撤回。", 403: "只能撤回本人派驻网格的履职记录。"}.get(exc.status, "未撤回，请稍后再试。"))
    else:
        flash("已撤回，记录保留并注明原因。")
    return redirect(url_for("duties.record"))
