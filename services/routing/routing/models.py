"""Routing tables."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, MetaData, String, Text, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wangge_common.db import UtcDateTime, utcnow
from wangge_common.outbox import define_infra_tables


class Base(DeclarativeBase):
    metadata = MetaData()


INFRA = define_infra_tables(Base.metadata)


class DispatchRule(Base):
    """A line of the dispatch catalogue (派单目录): which department handles which matters, at which level.

    Lines are never overwritten: an edit retires the line and adds a new version with the same lineage_id."""

    __tablename__ = "dispatch_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(20))  # town | county | major_issue
    department_code: Mapped[str] = mapped_column(String(40))
    department_name: Mapped[str] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lineage_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    changed_by: Mapped[str | None] = mapped_column(String(100))
    change_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeadlineRule(Base):
    """How long a department has once it signs (by category, topic and urgency); versioned like the catalogue."""

    __tablename__ = "deadline_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(60))
    urgency: Mapped[str | None] = mapped_column(String(10))
    priority: Mapped[str | None] = mapped_column(String(10))  # "high": special groups (revision 18b2d4f6a8c0)
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))  # hours | days | working_days
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lineage_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    changed_by: Mapped[str | None] = mapped_column(String(100))
    change_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Holiday(Base):
    """The holiday calendar: public holidays, and weekend days that are working days (调休)."""

    __tablename__ = "holidays"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday | weekday (a local "counts by its weekday")
    name: Mapped[str] = mapped_column(String(100))
    changed_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # local (entered through the API: a refresh never touches it), chinese-calendar (the State Council's
    # arrangement, from the package), statutory (provisional: the law's days, for a year the package lacks)
    source: Mapped[str] = mapped_column(String(20), server_default="local")
    reason: Mapped[str | None] = mapped_column(String(500))


class HolidayChange(Base):
    """Every change of the holiday calendar, oldest first, never edited: who, what, why, and from which source."""

    __tablename__ = "holiday_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday | weekday | removed
    name: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RoutedCase(Base):
    """Routing's view of a case: where it stands in the loop, and what the scheduler must watch."""

    __tablename__ = "routed_cases"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str | None] = mapped_column(String(20))
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(60))
    urgency: Mapped[str] = mapped_column(String(10))
    # normal, high (a special group: 低保, 残疾, 孤寡老人, 留守儿童) or urgent (revision 18b2d4f6a8c0)
    priority: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal", index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    path: Mapped[str | None] = mapped_column(String(20))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    received_by_kind: Mapped[str | None] = mapped_column(String(20))
    received_by_id: Mapped[str | None] = mapped_column(String(64))
    first_receiver_deputy_id: Mapped[str | None] = mapped_column(String(36))
    convenor_deputy_id: Mapped[str | None] = mapped_column(String(36))
    mediators: Mapped[str | None] = mapped_column(Text)  # JSON list of names
    return_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    answer_summary: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(100))  # department name, or 人大代表 on the spot
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    reply_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reply_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # NULL once replied or flagged
    evaluation_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    evaluation_stage: Mapped[str | None] = mapped_column(String(20))  # rating | return_visit
    evaluation_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(30))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_routed_cases_path_state", "path", "state"),  # the cases on a path (major issues)
        Index("ix_routed_cases_reply_check", "reply_check_at",
              sqlite_where=text("reply_check_at IS NOT NULL"), postgresql_where=text("reply_check_at IS NOT NULL")),
        Index("ix_routed_cases_evaluation_check", "evaluation_check_at",
              sqlite_where=text("evaluation_check_at IS NOT NULL"),
              postgresql_where=text("evaluation_check_at IS NOT NULL")),
        Index("ix_routed_cases_updated", "updated_at", "case_id"),  # the change feed (revision 8e2f6b3c1a47)
    )


class WorkOrder(Base):
    """A work order (工单) sent to a department."""

    __tablename__ = "work_orders"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    # the case's grid, copied at dispatch (a case never moves grid): a person's grid scope filters orders on their
    # own row, without going through every case of the township
    grid_id: Mapped[str | None] = mapped_column(String(36))
    department_code: Mapped[str] = mapped_column(String(40), index=True)
    department_name: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), index=True)
    role: Mapped[str] = mapped_column(String(10), default="sole", server_default="sole")  # sole | lead | member
    rule_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deadline_rule: Mapped[str | None] = mapped_column(String(100))
    deadline_amount: Mapped[int | None] = mapped_column(Integer)
    deadline_unit: Mapped[str | None] = mapped_column(String(20))
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sign_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # 签收时限: sign by then
    sign_overdue_marked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A county matter goes through the township congress (镇人大): it forwards the order by forward_due_at (转办时限);
    # until forwarded_at the department cannot sign it. NULL forward_due_at: an order sent to the department directly.
    forward_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    forwarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    forwarded_by: Mapped[str | None] = mapped_column(String(120))
    forward_overdue_marked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    due_soon_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    mediation_outcome: Mapped[str | None] = mapped_column(String(20))
    extension_requested_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    extension_reason: Mapped[str | None] = mapped_column(String(500))
    due_soon_marked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    overdue_marked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    escalation_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # 督办 / 提级督办 with effect: who supervises the order now (township presidium, or the county level)
    supervision: Mapped[str | None] = mapped_column(String(20), index=True)  # township | county
    supervisor: Mapped[str | None] = mapped_column(String(100))
    supervised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The next moment the scheduler must look at this order (due soon, overdue, next ladder step); NULL when the
    # order needs no more watching. The partial index keeps the scan proportional to what is due, not to the table.
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # when anything about the order last changed: the change feed's key (revision 8e2f6b3c1a47)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_work_orders_grid_state", "grid_id", "state"),
        Index("ix_work_orders_department_state", "department_code", "state"),
        Index("ix_work_orders_next_check", "next_check_at",
              sqlite_where=text("next_check_at IS NOT NULL"), postgresql_where=text("next_check_at IS NOT NULL")),
        Index("ix_work_orders_updated", "updated_at", "id"),
    )


class CaseTransition(Base):
    """Routing's own log of every event it emitted about a case, in order: the case's history."""

    __tablename__ = "case_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(60))
    state: Mapped[str | None] = mapped_column(String(20))
    previous_state: Mapped[str | None] = mapped_column(String(20))
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    details: Mapped[str] = mapped_column(Text)  # the event's data as JSON


class Evaluation(Base):
    """One rating round: the one-time link token points at this row; used once."""

    __tablename__ = "evaluations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    round: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating: Mapped[str | None] = mapped_column(String(30))
    via: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)


class Grid(Base):
    """Read copy of roster's grids (from roster.v1)."""

    __tablename__ = "grids"
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(36))


class Deputy(Base):
    """Read copy of roster's deputies (no contact details: those stay in roster)."""

    __tablename__ = "deputies"
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))


class GridDeputy(Base):
    """Read copy of the published assignments: which deputies serve which grid."""

    __tablename__ = "grid_deputies"
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))


class Project(Base):
    """A micro livelihood project (民生微实事): proposed by a deputy from the cases they collected, reviewed by the
    township congress, funded by the city, carried out and publicised; its public `code` leads to its page."""

    __tablename__ = "projects"
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    township_id: Mapped[str | None] = mapped_column(String(36), index=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)  # public: no personal data
    budget_yuan: Mapped[int] = mapped_column(Integer)
    funded_yuan: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), index=True)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ProjectCase(Base):
    """A case a project answers (the cases its deputy collected)."""

    __tablename__ = "project_cases"
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class ProjectStep(Base):
    """A project's history: every review, funding decision, progress note and the completion, with who and why."""

    __tablename__ = "project_steps"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    percent: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProjectRating(Base):
    """A linked case's reporter rates the completed project once, through a one-time link."""

    __tablename__ = "project_ratings"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[str] = mapped_column(String(36))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating: Mapped[str | None] = mapped_column(String(30))


RULE_TABLES = {"dispatch": DispatchRule, "deadline": DeadlineRule}  # the versioned rule tables, by kind
