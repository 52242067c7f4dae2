"""The portal's own tables: people's accounts, the sign-in log, and what pages must remember between requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wangge_common.db import UtcDateTime, utcnow


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s"})


class Account(Base):
    """A person who signs in (账户): one role and its binding (roster deputy, township grid or department)."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    deputy_id: Mapped[str | None] = mapped_column(String(36))  # role deputy: the roster deputy
    grid_id: Mapped[str | None] = mapped_column(String(36))  # role township_staff: the township grid
    department: Mapped[str | None] = mapped_column(String(40))  # role department: routing's department code
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Raised on a password change, disabling or re-binding: every session signed in before is over.
    session_epoch: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(60))


class SignInEvent(Base):
    """Every sign-in, failure, lock-out and sign-out (登录日志), never with the password."""

    __tablename__ = "sign_in_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[str | None] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(20))  # signed_in, wrong_password, unknown, locked, disabled, signed_out
    client: Mapped[str | None] = mapped_column(String(64))


class ReceptionDraft(Base):
    """A reception session a deputy has started and not yet ended (接待中): becomes intake's record at the end."""

    __tablename__ = "reception_drafts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    grid_id: Mapped[str] = mapped_column(String(36))
    reception_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    case_ids: Mapped[list] = mapped_column(JSON, default=list)
    session_id: Mapped[str | None] = mapped_column(String(36))  # intake's reception-session record, once ended


class Registration(Base):
    """A case a person registered through the portal, for their own lists (today's calls, this session's matters)."""

    __tablename__ = "registrations"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    tracking_code: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(60))
    grid_id: Mapped[str] = mapped_column(String(36))
    summary: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
