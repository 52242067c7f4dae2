"""Public progress board (办理进度公示): open work orders by department, without personal data."""
from __future__ import annotations

from flask import Blueprint, render_template

from wangge_common import clock
from wangge_common.auth import public
from wangge_common.contracts import labels
from wangge_common.db import utcnow
from wangge_common.http import runtime

from . import queries

pages = Blueprint("routing_pages", __name__, template_folder="templates")

STATE_NAMES, CATEGORY_NAMES = labels.WORK_ORDER_STATES, labels.CATEGORIES
SUPERVISION_NAMES = {"township": "督办", "county": "提级督办"}
LIMIT = 200


@pages.get("/board")
@public
def board():
    """The public board: what each department has open, what is overdue, the oldest first."""
    now = utcnow()
    with runtime().db.sessions() as session:
        per_department, orders = queries.board(session, LIMIT)
    widest = max([total for _, total, _ in per_department] or [1])
    bars = [{"name": name, "total": total, "overdue": int(overdue or 0), "width": 360 * total / widest,
             "overdue_width": 360 * int(overdue or 0) / widest, "y": 8 + i * 30}
            for i, (name, total, overdue) in enumerate(per_department)]
    rows = [{"tracking_code": code or "—", "category": CATEGORY_NAMES.get(category, category),
             "priority": labels.label("priority", priority), "priority_code": priority,
             "department": order.department_name, "state": STATE_NAMES[order.state],
             "due": clock.local_text(order.due_at) if order.due_at else "—",
             "overdue": bool(order.due_at and order.due_at < now),
             "supervision": f"{SUPERVISION_NAMES[order.supervision]}（{order.supervisor}）" if order.supervision else ""}
            for order, code, category, priority in orders]
    return render_template("board.html", bars=bars, rows=rows, height=16 + 30 * len(bars),
                           updated=clock.local_text(now))
