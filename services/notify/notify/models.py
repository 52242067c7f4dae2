"""Notify tables: deliveries (one message, one recipient, one channel), templates, recipients, webhooks, and the
read copies built from cases.v1 and roster.v1 (case contacts, grids, grid deputies, stations, receptions, board
results)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wangge_common.db import UtcDateTime, utcnow
from wangge_common.outbox import define_infra_tables


class Base(DeclarativeBase):
    metadata = MetaData()


INFRA = define_infra_tables(Base.metadata)


class Delivery(Base):
    """One message to one recipient on one channel, caused by one event (投递). The unique key makes a redelivered
    event or a re-run job unable to create a second message, and the meaning key a resent one (same fact, new event
    id); the sender moves it pending → sent / failed / gave_up."""

    __tablename__ = "deliveries"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cause_event_id: Mapped[str] = mapped_column(String(36))
    meaning_key: Mapped[str | None] = mapped_column(String(200))  # domain.meaning_key: a resend's new id is no news
    event_type: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    audience: Mapped[str] = mapped_column(String(20))
    recipient_ref: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(80))
    template_version: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)  # webhooks: the event JSON, as signed and sent
    # SMS: the template's values, for providers that send approved templates with parameters (Aliyun, Tencent)
    variables: Mapped[dict | None] = mapped_column(JSON)
    subscription_id: Mapped[str | None] = mapped_column(String(36))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    held_reason: Mapped[str | None] = mapped_column(String(40))
    contact_key: Mapped[str | None] = mapped_column(String(40))  # SMS: keyed hash of the number it went to
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("cause_event_id", "recipient_ref", "channel", name="uq_delivery_once"),
        UniqueConstraint("meaning_key", "recipient_ref", "channel", name="uq_delivery_meaning"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_contact_sent", "contact_key", "sent_at"),
        Index("ix_deliveries_updated", "updated_at", "id"),  # the change feed (revision 5e9a2d7c4b18)
    )


class Template(Base):
    """One saved version of a message template (模板); the highest version of a key is the one in use."""

    __tablename__ = "templates"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Recipient(Base):
    """A department's or the township congress staff's mailbox (职能部门 / 乡镇人大工作人员), kept by notify."""

    __tablename__ = "recipients"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    audience: Mapped[str] = mapped_column(String(20))  # department | congress_staff
    department_code: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookSubscription(Base):
    """An integrator's endpoint and the event types it wants; disabled after repeated failures."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | disabled
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseContact(Base):
    """What notify needs to address a case's people later: references, never a phone number."""

    __tablename__ = "case_contacts"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reporter_ref: Mapped[str | None] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(20))
    grid_id: Mapped[str | None] = mapped_column(String(36))
    category: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(200))
    excerpt: Mapped[str | None] = mapped_column(String(100))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    deputy_ids: Mapped[list | None] = mapped_column(JSON)  # first-receiving deputy (首问), else the grid's deputies
    answer_summary: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # rounds of handling (重办)
    department_name: Mapped[str | None] = mapped_column(String(200))


class HeldEvent(Base):
    """A case event that arrived before the case's registration; applied when the registration comes."""

    __tablename__ = "held_events"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Grid(Base):
    __tablename__ = "grids"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(36))


class GridDeputy(Base):
    """Who is assigned to a grid now (from assignment.published, which carries the full list)."""

    __tablename__ = "grid_deputies"
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    level: Mapped[str | None] = mapped_column(String(20))


class Reception(Base):
    """A published reception day (接待日) for the public board and the on-duty reminder."""

    __tablename__ = "receptions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str | None] = mapped_column(String(36), index=True)
    station_id: Mapped[str | None] = mapped_column(String(36), index=True)
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deputy_ids: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when the latest version was announced
    sequence: Mapped[int] = mapped_column(Integer, default=0)


class Station(Base):
    """A liaison station (代表联络站) for its board: its name, address and the grids it serves."""

    __tablename__ = "stations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    grid_ids: Mapped[list] = mapped_column(JSON)


class BoardResult(Base):
    """A closed case's result, publicised on its grid's board (结果公开) without personal data."""

    __tablename__ = "board_results"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str | None] = mapped_column(String(36), index=True)
    tracking_code: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(30))
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BoardProject(Base):
    """A completed micro livelihood project (民生微实事), publicised on its grid's board (revision 6a2f8c1d9e34)."""

    __tablename__ = "board_projects"
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    code: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(Text)
    funded_yuan: Mapped[int | None] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
