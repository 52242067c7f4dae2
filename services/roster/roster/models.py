"""Roster tables."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, Float, ForeignKey, Index, Integer, MetaData, String, Text,
                        UniqueConstraint, text)
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
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)  # the integrator's own id (ref)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    difficulty: Mapped[int] = mapped_column(Integer, default=1)
    leader: Mapped[str | None] = mapped_column(String(50))
    constituency: Mapped[str | None] = mapped_column(String(100))
    workers: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # the grid's centre (WGS84), where known (revision 2b7c4e9a1d55): Open311 requests with lat/long only are
    # placed in the nearest located grid
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Deputy(Base):
    """A people's-congress deputy (人大代表) or a party-congress delegate (党代表)."""

    __tablename__ = "deputies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="npc_deputy")
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)  # the integrator's own id (ref)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(20), index=True)
    position: Mapped[str | None] = mapped_column(String(100))
    mobile_encrypted: Mapped[str] = mapped_column(Text)  # FieldCipher token; clear only via the contact endpoint
    mobile_masked: Mapped[str] = mapped_column(String(20))
    # Keyed hashes (FieldCipher.lookup_hash) that find the same person registered twice without a clear number.
    mobile_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)  # 身份证号, optional, encrypted like the mobile
    id_number_masked: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
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
    end_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Station(Base):
    """A liaison station (代表联络站): "1+4+N" is one main, one per township, N area stations."""

    __tablename__ = "stations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)  # the integrator's own id (ref)
    tier: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))  # public: printed on notices and boards
    grid_ids: Mapped[list] = mapped_column(JSON, default=list)
    # "1+4+N": the township a township-tier station belongs to (one per township, unique among them)
    township_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"))
    __table_args__ = (Index("uq_stations_township", "township_id", unique=True,
                            sqlite_where=text("tier = 'township'"), postgresql_where=text("tier = 'township'")),)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class StationGrid(Base):
    """Which grids a station serves (kept beside Station.grid_ids so a grid finds its station by index)."""

    __tablename__ = "station_grids"
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), primary_key=True, index=True)


class AssignmentPlan(Base):
    """An assignment plan (派驻方案): draft → approved → published; its rows are PlanEntry."""

    __tablename__ = "assignment_plans"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope_grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    rules: Mapped[dict] = mapped_column(JSON)
    violations: Mapped[list] = mapped_column(JSON, default=list)
    # what the plan shows without being refused for it (a grid without a party delegate when they are paired)
    warnings: Mapped[list | None] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(120))
    submitted_by: Mapped[str | None] = mapped_column(String(120))  # who submitted the draft for approval (提交审定)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_by: Mapped[str | None] = mapped_column(String(120))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class PlanEntry(Base):
    """One deputy in one grid of a plan."""

    __tablename__ = "plan_entries"
    plan_id: Mapped[str] = mapped_column(ForeignKey("assignment_plans.id"), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputies.id"), primary_key=True)
    basis: Mapped[str] = mapped_column(String(30), default="manual")

    # a hand edit re-counts the load of the deputies it touched: their entries in the plan, by index
    __table_args__ = (Index("ix_plan_entries_deputy_plan", "deputy_id", "plan_id"),)


class Assignment(Base):
    """A deputy serving a grid (派驻) since a published plan; ended rows stay as history."""

    __tablename__ = "assignments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputies.id"), index=True)
    plan_id: Mapped[str | None] = mapped_column(ForeignKey("assignment_plans.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(500))


class ReceptionRule(Base):
    """A reception schedule (接待日制度): monthly fixed days or a weekly rota, at a grid or a station."""

    __tablename__ = "reception_rules"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"), index=True)
    station_id: Mapped[str | None] = mapped_column(ForeignKey("stations.id"), index=True)
    place: Mapped[str] = mapped_column(String(200))
    pattern: Mapped[str] = mapped_column(String(10))  # monthly | weekly
    month_days: Mapped[list] = mapped_column(JSON, default=list)
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 Monday … 6 Sunday
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    rota: Mapped[list] = mapped_column(JSON)  # list of duty teams, each a list of deputy ids; used in turn
    two_representatives: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReceptionDay(Base):
    """One reception day generated from a rule; changes are events, the row holds the latest state."""

    __tablename__ = "reception_days"
    __table_args__ = (UniqueConstraint("rule_id", "day", name="uq_reception_rule_day"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("reception_rules.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"), index=True)
    station_id: Mapped[str | None] = mapped_column(ForeignKey("stations.id"), index=True)
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deputy_ids: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    reason: Mapped[str | None] = mapped_column(String(500))


class ContactHousehold(Base):
    """A household a deputy keeps in direct contact with (双联系)."""

    __tablename__ = "contact_households"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    household: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"))
    linked_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class ContactMeeting(Base):
    """A meeting between a deputy and a contact household."""

    __tablename__ = "contact_meetings"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    link_id: Mapped[str] = mapped_column(ForeignKey("contact_households.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputies.id"), index=True)
    met_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)


class ImportJob(Base):
    """A long import run outside the request that sent it (revision 7f3a9c2e1b40): its progress and outcome."""

    __tablename__ = "import_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    what: Mapped[str] = mapped_column(String(10))  # grids or deputies
    filename: Mapped[str] = mapped_column(String(200))
    import_valid_rows: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued, checking, writing, succeeded, failed
    rows: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)  # rows handled by committed chunks
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    invalid_rows: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)  # the first ERRORS_KEPT row errors
    errors_total: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DutyRecord(Base):
    """One entry of a deputy's duty record (履职登记): a suggestion and its reply, an inspection or survey, a themed
    activity, a forum, a dispute mediated, a household helped. Withdrawn entries stay, with who and why."""

    __tablename__ = "duty_records"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"))
    addressed_to: Mapped[str | None] = mapped_column(String(200))  # a suggestion's department or office
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reply_outcome: Mapped[str | None] = mapped_column(String(32))
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_duty_records_deputy_day", "deputy_id", "occurred_on"),)
