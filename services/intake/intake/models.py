"""Intake tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wangge_common.db import UtcDateTime, utcnow
from wangge_common.outbox import define_infra_tables


class Base(DeclarativeBase):
    metadata = MetaData()


INFRA = define_infra_tables(Base.metadata)


class Case(Base):
    """A registered matter; reporter contact is stored encrypted and never leaves in an event."""

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(60))
    content: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    special_groups: Mapped[list] = mapped_column(JSON, default=list)
    reporter_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    reporter_name_enc: Mapped[str | None] = mapped_column(Text)
    reporter_phone_enc: Mapped[str | None] = mapped_column(Text)
    reporter_id_number_enc: Mapped[str | None] = mapped_column(Text)
    reporter_phone_masked: Mapped[str | None] = mapped_column(String(20))
    received_by_kind: Mapped[str] = mapped_column(String(20))
    received_by_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    external_system: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="registered")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("external_system", "external_id", name="uq_cases_external"),)


class IdempotencyRecord(Base):
    """The first answer given to a client's Idempotency-Key, returned again for the same request."""

    __tablename__ = "idempotency_keys"
    client: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class KnownGrid(Base):
    """Read copy of roster's grids, built from roster.v1, to check where a case belongs."""

    __tablename__ = "known_grids"
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(36))
