"""Reads of deputies (人大代表) and party delegates (党代表)."""
from __future__ import annotations

from sqlalchemy import select

from wangge_common.errors import NotFound
from wangge_common.paging import paginate

from ..models import Deputy
from .grids import contains_pattern, subtree_ids


def get_deputy(session, deputy_id: str) -> Deputy:
    deputy = session.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound(f"no deputy {deputy_id}")
    return deputy


def list_deputies(session, *, level=None, kind=None, status=None, grid_id=None, under=None, q=None, page=1,
                  page_size=100) -> dict:
    query = select(Deputy)
    if under is not None:
        grids = subtree_ids(session, under)
        query = query.where(Deputy.home_grid_id.in_(grids) | Deputy.work_grid_id.in_(grids))
    if q:
        query = query.where(Deputy.name.like(contains_pattern(q), escape="\\") | (Deputy.external_id == q))
    if kind:
        query = query.where(Deputy.kind == kind)
    if level:
        query = query.where(Deputy.level == level)
    if status:
        query = query.where(Deputy.status == status)
    if grid_id:
        query = query.where((Deputy.home_grid_id == str(grid_id)) | (Deputy.work_grid_id == str(grid_id)))
    return paginate(session, query.order_by(Deputy.name, Deputy.id), page, page_size)


def deputy_contact(session, runtime, deputy_id: str) -> dict:
    """Clear-text contact for server-to-server use (notify); never in events or public responses."""
    deputy = get_deputy(session, deputy_id)
    return {"name": deputy.name, "phone": runtime.state.cipher.decrypt(deputy.mobile_encrypted), "email": deputy.email}
