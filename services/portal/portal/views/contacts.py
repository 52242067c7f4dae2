"""双联系 on the deputies' workbench: the signed-in deputy's contact households (致富带头人, 困难群众, 乡贤), this
year's meetings with each against the rule (≥ 3 households, one of each kind, each met at least twice a year), and
the form to record a meeting. Everything is roster's (its contact-household API), read and written with the deputy's
own token; the portal only checks that the household chosen is one of the deputy's own before asking."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from .. import domain
from ..clients import ServiceError
from ..schemas import ContactMeetingForm, options
from . import caller, runtime, signed_in

contacts = Blueprint("contacts", __name__, url_prefix="/deputy/contacts")

# roster's field names -> the form's
FIELDS = {"met_on": "met_on", "summary": "summary", "link_id": "link_id"}
REASONS = {"met_on": "见面日期须在建立联系之后、不晚于今天", "summary": "交流内容有误：2 至 2000 字，不要写电话和身份证号"}
NOT_ALLOWED = ("名册服务暂未开放代表本人登记见面记录。请把这次见面告诉乡镇人大工作人员代为登记；"
               "您填写的内容已保留在下面。")


def _today() -> date:
    return datetime.now(domain.CHINA).date()


def _links(year: int) -> list[dict]:
    found = runtime().services.get(caller(), "roster", f"/v1/deputies/{g.person.deputy_id}/contact-households",
                                   year=year)
    return found["items"] if isinstance(found, dict) else found


def _meetings(link_id: str, year: int) -> list[dict] | None:
    """The meetings recorded with one household this year, newest first; None while roster offers no list of them
    (the page then shows this year's count only)."""
    try:
        found = runtime().services.get(caller(), "roster", f"/v1/contact-households/{link_id}/meetings", year=year)
    except ServiceError as exc:
        if exc.status in (404, 405):
            return None
        raise
    items = found["items"] if isinstance(found, dict) else found
    return sorted((m for m in items if str(m.get("met_on", ""))[:4] == str(year)),
                  key=lambda m: m["met_on"], reverse=True)


@contacts.route("", methods=["GET", "POST"])
@signed_in("deputy")
def page():
    today = _today()
    links = _links(today.year)
    current = {link["id"]: link for link in links if domain.contact_in_force(link, today)}
    form = ContactMeetingForm()
    form.link_id.choices = options([("", "请选择")] + [(link["id"], f"{link['household']}（{link['kind_zh']}）")
                                                     for link in current.values()])
    problem = None
    if request.method == "GET":
        form.met_on.data, form.link_id.data, form.nonce.data = today.isoformat(), request.args.get("link", ""), \
            uuid.uuid4().hex
    else:
        valid = form.validate_on_submit()
        if _checked(form, current, today) and valid:
            problem = _record(form)
            if problem is None:
                flash(f"已记录 {form.met_on.data} 与{current[form.link_id.data]['household']}的见面。")
                return redirect(url_for("contacts.page"))
    for link in links:
        link["in_force"] = link["id"] in current
        link["meetings"] = _meetings(link["id"], today.year) if link["in_force"] else None
    return render_template("deputy/contacts.html", links=links, form=form, problem=problem, year=today.year,
                           progress=domain.contact_progress(links, today), rule=domain,
                           today_iso=today.isoformat()), 422 if request.method == "POST" else 200


def _checked(form: ContactMeetingForm, mine: dict, today: date) -> bool:
    """The household is one of the deputy's own, in force; the date is no later than today nor before the link."""
    link = mine.get(form.link_id.data)
    if link is None:
        form.link_id.errors = ["请从您的联系户中选择"]
    if form.met_on.errors or not form.met_on.data:
        return False
    try:
        met_on = date.fromisoformat(form.met_on.data)
    except ValueError:
        form.met_on.errors = ["日期格式如 2026-12-05"]
        return False
    if met_on > today:
        form.met_on.errors = ["见面日期不能晚于今天"]
    elif link and met_on.isoformat() < str(link["linked_on"]):
        form.met_on.errors = [f"见面日期不能早于建立联系的日期（{link['linked_on']}）"]
    return link is not None and not form.met_on.errors


def _record(form: ContactMeetingForm) -> str | None:
    """Roster's contact meeting; None when recorded, else the reason for the whole form (a field's goes beside it)."""
    nonce = form.nonce.data if form.nonce.data and len(form.nonce.data) <= 64 else uuid.uuid4().hex
    try:
        runtime().services.post(caller(), "roster", f"/v1/contact-households/{form.link_id.data}/meetings",
                                {"met_on": form.met_on.data, "summary": form.summary.data.strip()},
                                idempotency_key=f"contact-meeting-{nonce}")
    except ServiceError as exc:
        if exc.status == 403:
            return NOT_ALLOWED
        if exc.status == 404:
            form.link_id.errors = ["没有找到这户联系户，请刷新页面后重新选择"]
            return ""
        if exc.status not in (409, 422):
            raise
        placed = False
        for error in exc.errors:
            name = FIELDS.get(error.get("field", "").split(".")[0])
            if name:
                getattr(form, name).errors = [*getattr(form, name).errors, REASONS.get(name, "填写有误，请检查")]
                placed = True
        return "" if placed else "这次见面没有登记成功，请检查后重新提交。"
    return None
