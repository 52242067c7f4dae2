"""Sign in, sign out, change password; the home page sends each role to its desk."""
from __future__ import annotations

import time
from urllib.parse import urlparse

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from .. import commands, domain
from ..schemas import ActionForm, PasswordForm, SignInForm
from . import client_ip, limiter, runtime, signed_in, signin_limit

auth = Blueprint("auth", __name__)

REFUSALS = {
    "unknown": "用户名或密码不正确。",
    "wrong_password": "用户名或密码不正确。",
    "locked": "连续输错密码次数过多，账户已暂时锁定，请 {minutes} 分钟后再试，或联系管理员解锁。",
    "disabled": "该账户已停用，请联系管理员。",
}


@auth.get("/")
def home():
    if g.person is None:
        return render_template("index.html")
    return redirect(url_for(domain.HOME.get(g.person.role, "desks.home")))


@auth.route("/signin", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
def signin():
    form = SignInForm()
    refusal = None
    if request.args.get("reason") == "expired" and request.method == "GET":
        refusal = "登录已超时，请重新登录。"
    if form.validate_on_submit():
        rt = runtime()
        with rt.db.transaction() as db:
            outcome, account = commands.sign_in(db, rt.hasher, form.username.data.strip(), form.password.data,
                                                client_ip(), max_failures=rt.settings.lockout_failures,
                                                lock_minutes=rt.settings.lockout_minutes)
        if outcome == "signed_in":
            session.clear()
            now = time.time()
            session.update(account_id=account.id, epoch=account.session_epoch, signed_in_at=now, last_seen=now)
            session.permanent = True
            rt.forget_scope(account.id)
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
        refusal = REFUSALS[outcome].format(minutes=rt.settings.lockout_minutes)
    return render_template("signin.html", form=form, refusal=refusal), (401 if refusal and request.method == "POST"
                                                                        else 200)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send someone signing in to another site."""
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@auth.post("/signout")
@signed_in()
def signout():
    if ActionForm().validate_on_submit():
        rt = runtime()
        with rt.db.transaction() as db:
            commands.sign_out(db, g.person, client_ip())
    session.clear()
    return redirect(url_for("auth.signin"))


@auth.route("/password", methods=["GET", "POST"])
@signed_in()
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        rt = runtime()
        try:
            with rt.db.transaction() as db:
                account = db.merge(g.person)
                commands.change_password(db, rt.hasher, account, form.current.data, form.new.data)
                session["epoch"] = account.session_epoch  # this session stays; the others end
        except commands.AccountProblem as exc:
            for field, reason in exc.problems:
                getattr(form, field).errors.append(reason)
        else:
            flash("密码已修改，其他设备上的登录已退出。")
            return redirect(url_for("auth.home"))
    return render_template("password.html", form=form)
