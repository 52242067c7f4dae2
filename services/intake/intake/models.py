"""Intake tables."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Date, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Text,
                        UniqueConstraint)
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
    grid_id: Mapped[str] = mapped_column(String(36))  # indexed as the prefix of the two grid indexes below
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
    status: Mapped[str] = mapped_column(String(20), default="registered")  # the lifecycle state last known here
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # added by revision c1d5e2a7f001
    household_id: Mapped[str | None] = mapped_column(String(36), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    reporter_email_enc: Mapped[str | None] = mapped_column(Text)
    reporter_name_masked: Mapped[str | None] = mapped_column(String(60))
    reporter_id_number_masked: Mapped[str | None] = mapped_column(String(20))
    first_receiver_id: Mapped[str | None] = mapped_column(String(64))  # the receiving deputy (首问责任)
    content_key: Mapped[str] = mapped_column(String(64), default="")  # normalised-content hash, for duplicates
    step: Mapped[str] = mapped_column(String(12), default="received")  # resident's view of the progress
    content_original_enc: Mapped[str | None] = mapped_column(Text)  # when content held a phone or ID number
    state_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # added by revision 9e4b7d1c2a60: the data key the reporter's fields and the original content are encrypted
    # with (None: a case registered before, encrypted with the service's key)
    data_key_id: Mapped[str | None] = mapped_column(String(40))
    # added by revision 6a1f3c8e2d90: when anything about the case last changed here (the change feed's key), and
    # what routing said was done (case.answered): the answer and the answering department's name
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    answer_summary: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("external_system", "external_id", name="uq_cases_external"),
        # the newest open case of the grid with the same content, for duplicates (revision 5c2e8f1a9b30)
        Index("ix_cases_grid_content_created", "grid_id", "content_key", "created_at"),
        Index("ix_cases_grid_created", "grid_id", "created_at"),  # the grid's newest cases, for duplicates
        Index("ix_cases_created", "created_at"),  # a period's cases, for reconciliation (revision 7d3e9b1c5a42)
        Index("ix_cases_external_id", "external_id"),
        Index("ix_cases_updated", "updated_at", "id"),  # the change feed (updated_since), in its order
    )


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
    latitude: Mapped[float | None] = mapped_column(Float)  # the grid's centre, when roster knows it
    longitude: Mapped[float | None] = mapped_column(Float)


class Household(Base):
    """A household file (一户一档): address, grid, members' special-group flags, encrypted contact."""

    __tablename__ = "households"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    address: Mapped[str] = mapped_column(String(200))
    address_key: Mapped[str] = mapped_column(String(200), index=True)  # normalised, to resolve a case's grid
    members: Mapped[list] = mapped_column(JSON, default=list)  # [{relation, special_groups}]: no names
    special_groups: Mapped[list] = mapped_column(JSON, default=list)  # union of the members' flags
    contact_name_enc: Mapped[str | None] = mapped_column(Text)
    contact_phone_enc: Mapped[str | None] = mapped_column(Text)
    contact_name_masked: Mapped[str | None] = mapped_column(String(60))
    contact_phone_masked: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    data_key_id: Mapped[str | None] = mapped_column(String(40))  # the contact's data key (revision 9e4b7d1c2a60)
    # revision f4b8c1d2e3a5: the address and the notes are personal data, encrypted under the household's data key;
    # `address` then keeps only its first characters and `address_key` a keyed hash of the normalised address
    # (files opened before keep both in clear until their next change)
    address_enc: Mapped[str | None] = mapped_column(Text)
    notes_enc: Mapped[str | None] = mapped_column(Text)


class DataKey(Base):
    """A data key per reporter (per case registered) or household, wrapped with the service's key; erasure
    destroys `wrapped`, and with it every field encrypted under the key (crypto-shredding)."""

    __tablename__ = "data_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # reporter, household, or case (an anonymous report's content)
    subject_ref: Mapped[str] = mapped_column(String(64), index=True)  # reporter_ref, household id or case id
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # keyed hash, to erase by phone
    wrapped: Mapped[str | None] = mapped_column(Text)  # None once erased
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    erased_by: Mapped[str | None] = mapped_column(String(100))
    erasure_id: Mapped[str | None] = mapped_column(String(36))


class Visit(Base):
    """A deputy's visit (走访) as logged: which households, residents reached, notes."""

    __tablename__ = "visits"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), index=True)
    grid_id: Mapped[str] = mapped_column(String(36), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    household_ids: Mapped[list] = mapped_column(JSON, default=list)
    residents_reached: Mapped[int] = mapped_column(Integer)
    case_ids: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class VisitHousehold(Base):
    """Which visits reached a household, so a household file lists its visits with one indexed query."""

    __tablename__ = "visit_households"
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class ReceptionSession(Base):
    """A reception day's record (接待活动记录): deputies on duty, from when to when, residents, cases."""

    __tablename__ = "reception_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reception_id: Mapped[str | None] = mapped_column(String(36))
    grid_id: Mapped[str | None] = mapped_column(String(36), index=True)
    station_id: Mapped[str | None] = mapped_column(String(36))
    deputies: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    residents_received: Mapped[int] = mapped_column(Integer)
    case_ids: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseEntry(Base):
    """A case's history as intake knows it: supplements, withdrawal, and the lifecycle seen on cases.v1."""

    __tablename__ = "case_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    state: Mapped[str | None] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(500))
    content_added: Mapped[str | None] = mapped_column(Text)
    content_original_enc: Mapped[str | None] = mapped_column(Text)  # when the text held a phone or ID number
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class CaseLink(Base):
    """A possible duplicate (相关件): a new case linked to an open one; staff confirm or undo, never merge."""

    __tablename__ = "case_links"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)  # the newer case
    related_case_id: Mapped[str] = mapped_column(String(36), index=True)
    basis: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="suggested")
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Attachment(Base):
    """A photo a resident or a receiver attached to a matter (≤ 5 MB, JPEG or PNG by its content), kept here and
    served only to callers whose data scope covers its grid. Stored once per grid and content."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("grid_id", "sha256", name="uq_attachments_grid_sha256"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(36))
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- read copies of other services' data (issue 18) ----------------------------------------------------------
class KnownDeputy(Base):
    """Read copy of roster's deputies (deputy.registered/updated/ended/removed): who may receive a matter.
    No name or contact: only what the checks need."""

    __tablename__ = "known_deputies"
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # serving, suspended, ended, removed
    home_grid_id: Mapped[str | None] = mapped_column(String(36))
    work_grid_id: Mapped[str | None] = mapped_column(String(36))


class KnownGridDeputy(Base):
    """Read copy of the published assignments (assignment.published replaces a grid's list)."""

    __tablename__ = "known_grid_deputies"
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deputy_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(20))


class KnownTopic(Base):
    """Read copy of the topics of routing's active dispatch catalogue (the `topics` of catalogue.changed of a
    dispatch line); seeded with the catalogue routing starts with."""

    __tablename__ = "known_topics"
    topic: Mapped[str] = mapped_column(String(60), primary_key=True)


class HouseholdChange(Base):
    """A household file's history (一户一档): every change, who made it and why; never rewritten."""

    __tablename__ = "household_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    fields: Mapped[list] = mapped_column(JSON, default=list)  # names of the fields changed, never their values
    special_groups: Mapped[list] = mapped_column(JSON, default=list)  # the flags after the change
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseOrder(Base):
    """A read copy of routing's work orders for a case (from work_order.* on cases.v1): which department answers
    for it and by when, for Open311's agency_responsible and expected_datetime."""

    __tablename__ = "case_orders"
    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    department_code: Mapped[str] = mapped_column(String(40))
    department_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(10))  # sole, lead or member (from the dispatch)
    state: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the time of the last event applied
