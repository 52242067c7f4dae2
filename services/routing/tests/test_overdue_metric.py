"""routing_work_orders_overdue: the gauge the "overdue work orders rising" alert watches, set by the deadline scan."""
from datetime import datetime, timedelta

from prometheus_client import REGISTRY

from routing import jobs


def overdue_gauge():
    return REGISTRY.get_sample_value("routing_work_orders_overdue")


def test_the_scan_sets_the_count_of_open_orders_past_their_deadline(svc):
    first = svc.register(category="request", topic="road", urgency="urgent")
    second = svc.register(category="request", topic="road", urgency="urgent")
    orders = [svc.order(case_id, state="dispatched") for case_id in (first, second)]
    due = max(datetime.fromisoformat(svc.act(o["id"], "sign")["due_at"]) for o in orders)
    jobs.scan_work_orders(svc.runtime, due - timedelta(hours=1))
    assert overdue_gauge() == 0
    jobs.scan_work_orders(svc.runtime, due + timedelta(minutes=1))
    assert overdue_gauge() == 2
    svc.act(orders[0]["id"], "start", {"reason": "已安排人员现场查看"})
    svc.act(orders[0]["id"], "answer", {"summary": "已更换路灯灯泡。"})  # answered: no longer open, not counted
    jobs.scan_work_orders(svc.runtime, due + timedelta(minutes=2))
    assert overdue_gauge() == 1
