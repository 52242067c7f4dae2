"""Reads of the portal's own data."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select

from .domain import CHINA
from .models import Account, ReceptionDraft, Registration, SignInEvent


def account(session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def accounts(session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.role, Account.username)))


def recent_sign_ins(session, limit: int = 50) -> list[SignInEvent]:
    return list(session.scalars(select(SignInEvent).order_by(SignInEvent.id.desc()).limit(limit)))


def registered_today(session, account_id: str, now: datetime) -> list[Registration]:
    start = datetime.combine(now.astimezone(CHINA).date(), time.min, tzinfo=CHINA)
    return list(session.scalars(select(Registration).where(Registration.account_id == account_id,
                                                           Registration.at >= start)
                                .order_by(Registration.at.desc())))


def registrations(session, case_ids: list[str]) -> list[Registration]:
    if not case_ids:
        return []
    found = {r.case_id: r for r in session.scalars(select(Registration).where(Registration.case_id.in_(case_ids)))}
    return [found[c] for c in case_ids if c in found]


def open_reception(session, account_id: str) -> ReceptionDraft | None:
    return session.scalar(select(ReceptionDraft).where(ReceptionDraft.account_id == account_id,
                                                       ReceptionDraft.ended_at.is_(None))
                          .order_by(ReceptionDraft.started_at.desc()).limit(1))


def reception(session, draft_id: str) -> ReceptionDraft | None:
    return session.get(ReceptionDraft, draft_id)
