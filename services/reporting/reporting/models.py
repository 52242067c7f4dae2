"""Reporting tables."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import BigInteger, Boolean, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wangge_common.db import UtcDateTime, utcnow
from wangge_common.outbox import BigId, define_infra_tables


class Base(DeclarativeBase):
    metadata = MetaData()


INFRA = define_infra_tables(Base.metadata)
MIGRATIONS = str(Path(__file__).parent / "migrations")  # the Alembic script directory of these tables


class AuditEntry(Base):
    """One event as it arrived, append-only, chained to the entry before it by its hash."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    topic: Mapped[str] = mapped_column(String(100))
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    event_time: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_audit_subject_seq", "subject", "seq"),
        Index("ix_audit_type_seq", "event_type", "seq"),
        # Not unique: a recreated topic starts its offsets again. The event id is what makes an entry unique.
        Index("ix_audit_position", "topic", "partition", "offset"),
    )


class ChainHead(Base):
    """The newest entry's position and hash: one row, locked by each append so appends serialise."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class MerkleNode(Base):
    """A complete subtree of the RFC 9162 Merkle tree over the log: 2^level leaves from leaf idx * 2^level."""

    __tablename__ = "audit_merkle_nodes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """A signed statement of the tree at one size: tree size, root hash, time, Ed25519 signature."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[str] = mapped_column(String(40))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class CaseFact(Base):
    """Projection: one case's figures (件), kept current by the consumer; every KPI is computed from these rows."""

    __tablename__ = "case_facts"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str | None] = mapped_column(String(20))  # 受理编号, what people quote
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    registered_at: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(7), index=True)
    special: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(40), index=True)
    department_name: Mapped[str | None] = mapped_column(String(100))  # as the events name it, for labels
    deputy_id: Mapped[str | None] = mapped_column(String(36), index=True)
    answered: Mapped[bool] = mapped_column(Boolean)
    answered_on_time: Mapped[bool | None] = mapped_column(Boolean)
    replied: Mapped[bool] = mapped_column(Boolean)
    replied_on_time: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[str | None] = mapped_column(String(20))
    reopen_count: Mapped[int] = mapped_column(Integer)
    mediated: Mapped[bool] = mapped_column(Boolean)
    closed: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(20))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[str | None] = mapped_column(String(40))
    handling_s: Mapped[int | None] = mapped_column(BigInteger)
    withdrawn: Mapped[bool] = mapped_column(Boolean)
    # The deputy who took the matter in (received_by of a deputy), whoever answers it later: 受理 in performance.
    received_by_deputy_id: Mapped[str | None] = mapped_column(String(36), index=True)


class PendingEvent(Base):
    """An event about a case not registered here yet: kept, listed, and applied when the case arrives."""

    __tablename__ = "pending_case_events"
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)


class GridFact(Base):
    """Projection of the roster's grids (网格); the township (乡镇) of a grid is read through parent_id."""

    __tablename__ = "grid_facts"
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(36))
    households: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)


class DeputyFact(Base):
    """Projection of the roster's deputies (人大代表)."""

    __tablename__ = "deputy_facts"
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))


class GridDeputy(Base):
    """Which deputies serve in which grid (派驻), as the last assignment.published said."""

    __tablename__ = "grid_deputies"
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class VisitFact(Base):
    """A deputy's visit (走访) as recorded."""

    __tablename__ = "visit_facts"
    visit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    grid_id: Mapped[str] = mapped_column(String(36))
    visited_on: Mapped[str] = mapped_column(String(10))
    household_ids: Mapped[str] = mapped_column(Text)  # JSON list
    residents_reached: Mapped[int] = mapped_column(Integer)
    cases_registered: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))


class ReceptionAttendance(Base):
    """One deputy's part in a reception session (接待日) as recorded."""

    __tablename__ = "reception_attendance"
    session_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[str] = mapped_column(String(40))
    ended_at: Mapped[str] = mapped_column(String(40))
    residents_received: Mapped[int] = mapped_column(Integer)
    case_ids: Mapped[str] = mapped_column(Text)  # JSON list

    __table_args__ = (Index("ix_reception_attendance_deputy", "deputy_id", "started_at"),)


class ContactLink(Base):
    """A deputy's contact household (双联系) as roster linked it: the kind, from when, until when (the household
    itself is not in the event)."""

    __tablename__ = "contact_links"
    link_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    grid_id: Mapped[str | None] = mapped_column(String(36))
    linked_on: Mapped[str] = mapped_column(String(10))
    ended_on: Mapped[str | None] = mapped_column(String(10))


class ContactMeeting(Base):
    """A deputy's meeting with one of their contact households, as recorded."""

    __tablename__ = "contact_meetings"
    meeting_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    link_id: Mapped[str] = mapped_column(String(36))
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    met_on: Mapped[str] = mapped_column(String(10))


class KpiCell(Base):
    """Projection: one slice's counters (dimension, key, period), kept current case by case, so a KPI request
    reads a few rows instead of every case. `handling_hours` is the histogram {hour: cases} for the p90."""

    __tablename__ = "kpi_cells"
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    on_time_closed: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    replied: Mapped[int] = mapped_column(Integer)
    reopened: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[int] = mapped_column(Integer)
    basically_satisfied: Mapped[int] = mapped_column(Integer)
    unsatisfied: Mapped[int] = mapped_column(Integer)
    handling_sum: Mapped[int] = mapped_column(BigInteger)
    handling_count: Mapped[int] = mapped_column(Integer)
    closed_unrated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 办结未评价
    handling_hours: Mapped[str] = mapped_column(Text)  # JSON {hour: cases}
    p90_hours: Mapped[int | None] = mapped_column(Integer)  # kept with the histogram, so reads need not parse it


class DeputyCaseCount(Base):
    """Projection: what a deputy's figures need of the cases they replied on (`case_facts.deputy_id`), counted per
    year of registration (domain.count_cases), kept current case by case, so the 代表履职 table reads one row per
    deputy instead of every case (issue 16). A deputy's year with nothing to count has no row."""

    __tablename__ = "deputy_case_counts"
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[str] = mapped_column(String(4), primary_key=True)
    answered: Mapped[int] = mapped_column(Integer)
    mediated: Mapped[int] = mapped_column(Integer)
    suggestions: Mapped[int] = mapped_column(Integer)
    special_answered: Mapped[int] = mapped_column(Integer)
    settled: Mapped[int] = mapped_column(Integer)


class DutyFact(Base):
    """An entry of a deputy's duty record (履职登记) as roster recorded it (kind and day; the title stays in roster);
    a withdrawn entry stays, marked, and no longer counts (revision 9b4d2f6a8c13)."""

    __tablename__ = "duty_facts"
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[str] = mapped_column(String(10))
    replied: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


class ProjectFact(Base):
    """A micro livelihood project (民生微实事) and where it stands: the days it was proposed, funded and completed
    (China dates), the money, and how the residents rated it."""

    __tablename__ = "project_facts"
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    grid_id: Mapped[str] = mapped_column(String(36))
    township_id: Mapped[str | None] = mapped_column(String(36), index=True)
    state: Mapped[str] = mapped_column(String(20))
    budget_yuan: Mapped[int] = mapped_column(Integer)
    funded_yuan: Mapped[int | None] = mapped_column(Integer)
    proposed_on: Mapped[str] = mapped_column(String(10))
    funded_on: Mapped[str | None] = mapped_column(String(10))
    completed_on: Mapped[str | None] = mapped_column(String(10))
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    pleased: Mapped[int] = mapped_column(Integer, default=0)  # satisfied or basically satisfied


PROJECTIONS = (KpiCell, CaseFact, PendingEvent, GridFact, DeputyFact, GridDeputy, VisitFact, ReceptionAttendance,
               ContactLink, ContactMeeting, DeputyCaseCount, DutyFact, ProjectFact)


class ReconcileRun(Base):
    """One scheduled reconciliation (对账) of a period: how many accepted cases were missing where (reconcile.py)."""

    __tablename__ = "reconcile_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(10))  # clean | missing | error
    accepted: Mapped[int | None] = mapped_column(Integer)
    missing_routing: Mapped[int | None] = mapped_column(Integer)
    missing_notify: Mapped[int | None] = mapped_column(Integer)
    missing_audit: Mapped[int | None] = mapped_column(Integer)
    doubled: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)  # JSON: the ids missing and doubled per stage, or the error


class ProjectionCheck(Base):
    """One scheduled comparison of the projections with a replay of the audit log (projection_check.py)."""

    __tablename__ = "projection_checks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(10))  # clean | differs | error
    entries: Mapped[int | None] = mapped_column(Integer)
    differences: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)  # JSON: the first differing rows, or the error
