"""The first page of the desks part 2 builds out (township staff, department, supervisor, auditor): each shows
the real list its person starts from, read with their own token (so only what their data scope allows)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from . import caller, runtime, signed_in

desks = Blueprint("desks", __name__, url_prefix="/desk")


@desks.get("")
@signed_in("township_staff", "department", "supervisor", "auditor")
def home():
    services, me, role = runtime().services, caller(), g.person.role
    if role in ("supervisor", "auditor"):  # their desks: views/supervisor.py, views/auditor.py
        return redirect(url_for(f"{role}.home"))
    context = {}
    if role == "township_staff":
        context["manual"] = services.get(me, "routing", "/v1/cases", queue="manual", page_size=50)["items"]
        context["overdue"] = services.get(me, "routing", "/v1/work-orders", overdue="true", sort="due",
                                         page_size=50)["items"]
    elif role == "department":
        context["orders"] = [o for o in services.get(me, "routing", "/v1/work-orders", sort="due", page_size=100)["items"]
                             if o["state"] in ("dispatched", "signed", "in_progress")]
    elif role == "supervisor":
        context["kpis"] = services.get(me, "reporting", "/v1/kpis")
    else:
        context["verify"] = services.get(me, "reporting", "/v1/audit/verify")
    return render_template("desks/home.html", role=role, **context)
