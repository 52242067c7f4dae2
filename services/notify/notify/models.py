"""Notify tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wangge_common.db import UtcDateTime, utcnow
from wangge_common.outbox import define_infra_tables


class Base(DeclarativeBase):
    metadata = MetaData()


INFRA = define_infra_tables(Base.metadata)


class Notification(Base):
    """One message to one recipient on one channel, caused by one event."""

    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cause_event_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    recipient_ref: Mapped[str] = mapped_column(String(64), index=True)
    audience: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="sent")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("cause_event_id", "recipient_ref", "channel", name="uq_notification_once"),)


class CaseContact(Base):
    """What notify needs to address a case's reporter later: a reference, never a phone number."""

    __tablename__ = "case_contacts"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reporter_ref: Mapped[str | None] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(20))
