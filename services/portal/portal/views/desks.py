"""/desk: where each desk starts. Everyone goes on to their own desk: township staff (views/township.py),
department handlers (views/department.py), the supervisor (views/supervisor.py) and the auditor (views/auditor.py)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, url_for

from . import signed_in

desks = Blueprint("desks", __name__, url_prefix="/desk")


@desks.get("")
@signed_in("township_staff", "department", "supervisor", "auditor")
def home():
    role = g.person.role
    if role in ("supervisor", "auditor"):  # their desks: views/supervisor.py, views/auditor.py
        return redirect(url_for(f"{role}.home"))
    if role == "township_staff":
        return redirect(url_for("township.triage_queue"))
    return redirect(url_for("department.inbox"))
