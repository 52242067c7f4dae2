"""Roster tables."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wangge_common.db import UtcDateTime, utcnow
from wangge_common.outbox import define_infra_tables


class Base(DeclarativeBase):
    metadata = MetaData()


INFRA = define_infra_tables(Base.metadata)


class Grid(Base):
    """A grid (网格) in the three-level tree: township → village/community → villagers' group/estate."""

    __tablename__ = "grids"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    difficulty: Mapped[int] = mapped_column(Integer, default=1)
    leader: Mapped[str | None] = mapped_column(String(50))
    workers: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Deputy(Base):
    """A people's-congress deputy (人大代表) or a party-congress delegate (党代表)."""

    __tablename__ = "deputies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="npc_deputy")
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(20), index=True)
    position: Mapped[str | None] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    office_phone: Mapped[str | None] = mapped_column(String(30))
    phone_display: Mapped[str] = mapped_column(String(20), default="masked_mobile")
    constituency: Mapped[str | None] = mapped_column(String(100))
    home_grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"), index=True)
    work_grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"), index=True)
    specialities: Mapped[list] = mapped_column(JSON, default=list)
    capability: Mapped[int] = mapped_column(Integer, default=3)
    pledge: Mapped[str | None] = mapped_column(Text)
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="serving", index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
