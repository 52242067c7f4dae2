"""Consumers of roster events (roster.v1): notify's copy of grids, the deputies on duty, liaison stations and
reception days, which its messages and the public board read. Each also goes to the webhook subscriptions."""
from __future__ import annotations

from sqlalchemy import delete

from wangge_common import clock
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from ..commands.deliveries import to_webhooks
from ..models import Grid, GridDeputy, Reception, Station


def on_grid(uow: UnitOfWork, event: Event) -> None:
    to_webhooks(uow, event)
    data = event.data
    grid = uow.session.get(Grid, data["grid_id"]) or Grid(id=data["grid_id"])
    grid.code, grid.name, grid.parent_id = data["code"], data["name"], data.get("parent_id")
    uow.session.add(grid)


def on_assignment_published(uow: UnitOfWork, event: Event) -> None:
    to_webhooks(uow, event)
    data = event.data
    uow.session.execute(delete(GridDeputy).where(GridDeputy.grid_id == data["grid_id"]))
    for deputy in {d["deputy_id"]: d for d in data["deputies"]}.values():
        uow.session.add(GridDeputy(grid_id=data["grid_id"], deputy_id=deputy["deputy_id"], level=deputy["level"]))


def on_assignment_ended(uow: UnitOfWork, event: Event) -> None:
    to_webhooks(uow, event)
    uow.session.execute(delete(GridDeputy).where(GridDeputy.grid_id == event.data["grid_id"],
                                                 GridDeputy.deputy_id == event.data["deputy_id"]))


def on_reception(uow: UnitOfWork, event: Event) -> None:
    to_webhooks(uow, event)
    data = event.data
    published_at = clock.parse_time(event.time)
    reception = uow.session.get(Reception, data["reception_id"])
    if reception is not None and reception.published_at > published_at:
        return  # an older version arriving late changes nothing
    reception = reception or Reception(id=data["reception_id"])
    reception.grid_id, reception.station_id, reception.place = data["grid_id"], data["station_id"], data["place"]
    reception.starts_at = clock.parse_time(data["starts_at"])
    reception.ends_at = clock.parse_time(data["ends_at"])
    reception.deputy_ids = [d["deputy_id"] for d in data["deputies"]]
    reception.status, reception.reason, reception.published_at = data["status"], data["reason"], published_at
    uow.session.add(reception)


def on_station(uow: UnitOfWork, event: Event) -> None:
    to_webhooks(uow, event)
    data = event.data
    station = uow.session.get(Station, data["station_id"]) or Station(id=data["station_id"])
    station.name, station.address, station.grid_ids = data["name"], data["address"], list(data["grid_ids"])
    uow.session.add(station)
