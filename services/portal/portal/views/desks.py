"""/desk: where each desk starts. Township staff and department handlers go to their own desks
(views/township.py, views/department.py); the supervisor and auditor see their first list here."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from . import caller, runtime, signed_in

desks = Blueprint("desks", __name__, url_prefix="/desk")


@desks.get("")
@signed_in("township_staff", "department", "supervisor", "auditor")
def home():
    role = g.person.role
    if role == "township_staff":
        return redirect(url_for("township.triage_queue"))
    if role == "department":
        return redirect(url_for("department.inbox"))
    services, me, context = runtime().services, caller(), {}
    if role == "supervisor":
        context["kpis"] = services.get(me, "reporting", "/v1/kpis")
    else:
        context["verify"] = services.get(me, "reporting", "/v1/audit/verify")
    return render_template("desks/home.html", role=role, **context)
