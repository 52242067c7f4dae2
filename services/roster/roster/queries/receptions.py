"""Reads of reception schedules (接待日) and their days."""
from __future__ import annotations

from sqlalchemy import select

from wangge_common.errors import NotFound
from wangge_common.paging import paginate

from ..models import ReceptionDay, ReceptionRule


def get_day(session, reception_id: str) -> ReceptionDay:
    reception = session.get(ReceptionDay, reception_id)
    if reception is None:
        raise NotFound(f"no reception day {reception_id}")
    return reception


def get_rule(session, rule_id: str) -> ReceptionRule:
    rule = session.get(ReceptionRule, rule_id)
    if rule is None:
        raise NotFound(f"no reception schedule {rule_id}")
    return rule


def list_days(session, *, rule_id=None, grid_id=None, station_id=None, start=None, end=None, page=1,
              page_size=100) -> dict:
    query = select(ReceptionDay)
    if rule_id:
        query = query.where(ReceptionDay.rule_id == rule_id)
    if grid_id:
        query = query.where(ReceptionDay.grid_id == str(grid_id))
    if station_id:
        query = query.where(ReceptionDay.station_id == str(station_id))
    if start:
        query = query.where(ReceptionDay.day >= start)
    if end:
        query = query.where(ReceptionDay.day <= end)
    return paginate(session, query.order_by(ReceptionDay.day, ReceptionDay.id), page, page_size)


def list_rules(session, *, grid_id=None, station_id=None, page=1, page_size=100, each=None) -> dict:
    query = select(ReceptionRule)
    if grid_id:
        query = query.where(ReceptionRule.grid_id == str(grid_id))
    if station_id:
        query = query.where(ReceptionRule.station_id == str(station_id))
    return paginate(session, query.order_by(ReceptionRule.created_at, ReceptionRule.id), page, page_size,
                    each=each)
