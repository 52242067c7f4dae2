"""The admin's page: create accounts, disable or enable them, unlock, re-bind; the sign-in log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import commands, queries
from ..schemas import AccountForm, ActionForm, BindingForm
from . import runtime, signed_in

admin = Blueprint("admin", __name__, url_prefix="/admin")


def _text(field) -> str | None:
    return (field.data or "").strip() or None


@admin.route("/accounts", methods=["GET", "POST"])
@signed_in("admin")
def accounts():
    form = AccountForm()
    if form.validate_on_submit():
        rt = runtime()
        try:
            with rt.db.transaction() as db:
                commands.create_account(db, rt.hasher, username=(_text(form.username) or ''),
                                        display_name=(_text(form.display_name) or ''), role=form.role.data,
                                        password=form.password.data, deputy_id=_text(form.deputy_id),
                                        grid_id=_text(form.grid_id),
                                        department=_text(form.department), by=f"person:{g.person.id}")
        except commands.AccountProblem as exc:
            for field, reason in exc.problems:
                getattr(form, field).errors.append(reason)
        else:
            flash(f"已创建账户 {form.username.data}。")
            return redirect(url_for("admin.accounts"))
    with runtime().db.sessions() as db:
        found, log = queries.accounts(db), queries.recent_sign_ins(db)
    return render_template("admin/accounts.html", form=form, accounts=found, log=log, action=ActionForm())


@admin.post("/accounts/<account_id>/<any(disable, enable, unlock):change>")
@signed_in("admin")
def change(account_id, change):
    if not ActionForm().validate_on_submit():
        abort(400)
    rt = runtime()
    with rt.db.transaction() as db:
        account = queries.account(db, account_id) or abort(404)
        if change == "unlock":
            commands.unlock(db, account, f"person:{g.person.id}")
        else:
            if account.id == g.person.id:
                flash("不能停用自己的账户。")
                return redirect(url_for("admin.accounts"))
            commands.set_disabled(db, account, change == "disable", f"person:{g.person.id}")
    rt.forget_scope(account_id)
    flash({"disable": "已停用", "enable": "已启用", "unlock": "已解锁"}[change] + f"账户 {account.username}。")
    return redirect(url_for("admin.accounts"))


@admin.route("/accounts/<account_id>/binding", methods=["GET", "POST"])
@signed_in("admin")
def binding(account_id):
    rt = runtime()
    with rt.db.sessions() as db:
        account = queries.account(db, account_id) or abort(404)
    form = BindingForm(obj=account) if request.method == "GET" else BindingForm()
    if form.validate_on_submit():
        try:
            with rt.db.transaction() as db:
                commands.rebind(db, db.merge(account), role=form.role.data,
                                deputy_id=_text(form.deputy_id), grid_id=_text(form.grid_id),
                                department=_text(form.department), by=f"person:{g.person.id}")
        except commands.AccountProblem as exc:
            for field, reason in exc.problems:
                getattr(form, field).errors.append(reason)
        else:
            rt.forget_scope(account_id)
            flash(f"已重新绑定账户 {account.username}，其登录已退出。")
            return redirect(url_for("admin.accounts"))
    return render_template("admin/binding.html", form=form, account=account)
