"""Reads of reception schedules (接待日) and their days."""
from __future__ import annotations

from sqlalchemy import String, cast, or_, select

from wangge_common.errors import NotFound
from wangge_common.paging import paginate

from ..models import ReceptionDay, ReceptionRule, StationGrid
from .grids import subtree_ids


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


def _held_under(session, model, under):
    """Receptions held in the subtree of grid `under`: at one of its grids, or at a station serving one of them."""
    grids = subtree_ids(session, under)
    return or_(model.grid_id.in_(grids),
               model.station_id.in_(select(StationGrid.station_id).where(StationGrid.grid_id.in_(grids))))


def list_days(session, *, rule_id=None, grid_id=None, station_id=None, under=None, deputy_id=None, start=None,
              end=None, page=1, page_size=100) -> dict:
    query = select(ReceptionDay)
    if deputy_id:  # on the day's duty list (a JSON list of ids, read as text: the same on SQLite and PostgreSQL)
        query = query.where(cast(ReceptionDay.deputy_ids, String).like(f'%"{deputy_id}"%'))
    if under:
        query = query.where(_held_under(session, ReceptionDay, under))
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


def list_rules(session, *, grid_id=None, station_id=None, under=None, page=1, page_size=100, each=None) -> dict:
    query = select(ReceptionRule)
    if under:
        query = query.where(_held_under(session, ReceptionRule, under))
    if grid_id:
        query = query.where(ReceptionRule.grid_id == str(grid_id))
    if station_id:
        query = query.where(ReceptionRule.station_id == str(station_id))
    return paginate(session, query.order_by(ReceptionRule.created_at, ReceptionRule.id), page, page_size,
                    each=each)
