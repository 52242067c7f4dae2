"""Changes to the portal's own data, one function per command, each in the caller's transaction."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select

from . import domain
from .models import Account, ReceptionDraft, Registration, SignInEvent

log = logging.getLogger("portal.signin")
# Verified when the username is unknown, so an unknown name takes as long as a wrong password.
_DUMMY_HASH = PasswordHasher().hash("wangge-dummy-password")


class AccountProblem(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))
        self.problems = problems


def create_account(session, hasher: PasswordHasher, *, username: str, display_name: str, role: str, password: str,
                   deputy_id=None, grid_id=None, department=None, by: str = "system") -> Account:
    problems = domain.binding_problems(role, deputy_id, grid_id, department)
    problems += [("password", p) for p in domain.password_problems(password, username)]
    if session.scalar(select(Account.id).where(Account.username == username)):
        problems.append(("username", "用户名已被使用"))
    if problems:
        raise AccountProblem(problems)
    now = datetime.now(timezone.utc)
    account = Account(id=str(uuid.uuid4()), username=username, display_name=display_name, role=role,
                      password_hash=hasher.hash(password), deputy_id=deputy_id or None, grid_id=grid_id or None,
                      department=department or None, disabled=False, failed_sign_ins=0, session_epoch=1,
                      created_at=now, updated_at=now, changed_by=by)
    session.add(account)
    return account


def sign_in(session, hasher: PasswordHasher, username: str, password: str, client: str | None, *,
            max_failures: int, lock_minutes: int) -> tuple[str, Account | None]:
    """Check a password with the lock-out rule; logs the attempt (never the password). Returns (outcome, account)."""
    now = datetime.now(timezone.utc)
    account = session.scalar(select(Account).where(Account.username == username).with_for_update())
    if account is None:
        try:
            hasher.verify(_DUMMY_HASH, password)
        except VerifyMismatchError:
            pass
        _record(session, username, None, "unknown", client)
        return "unknown", None
    try:
        ok = hasher.verify(account.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        ok = False
    result = domain.after_attempt(ok, account.failed_sign_ins, account.locked_until, account.disabled, now,
                                  max_failures=max_failures, lock_minutes=lock_minutes)
    account.failed_sign_ins, account.locked_until = result.failed, result.locked_until
    if result.outcome == "signed_in" and hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    _record(session, username, account.id, result.outcome, client)
    return result.outcome, account


def sign_out(session, account: Account, client: str | None) -> None:
    _record(session, account.username, account.id, "signed_out", client)


def _record(session, username: str, account_id: str | None, outcome: str, client: str | None) -> None:
    session.add(SignInEvent(username=username[:40], account_id=account_id, outcome=outcome, client=client,
                            at=datetime.now(timezone.utc)))
    log.info("sign-in attempt", extra={"username": username[:40], "outcome": outcome, "client": client})


def change_password(session, hasher: PasswordHasher, account: Account, current: str, new: str) -> None:
    try:
        hasher.verify(account.password_hash, current)
    except (VerifyMismatchError, InvalidHashError):
        raise AccountProblem([("current", "当前密码不正确")]) from None
    problems = domain.password_problems(new, account.username)
    if problems:
        raise AccountProblem([("new", p) for p in problems])
    account.password_hash = hasher.hash(new)
    account.session_epoch += 1  # every other session of this account ends
    account.updated_at, account.changed_by = datetime.now(timezone.utc), account.id


def set_disabled(session, account: Account, disabled: bool, by: str) -> None:
    account.disabled = disabled
    account.session_epoch += 1
    account.updated_at, account.changed_by = datetime.now(timezone.utc), by


def rebind(session, account: Account, *, role: str, deputy_id=None, grid_id=None, department=None, by: str) -> None:
    problems = domain.binding_problems(role, deputy_id, grid_id, department)
    if problems:
        raise AccountProblem(problems)
    account.role, account.deputy_id = role, deputy_id or None
    account.grid_id, account.department = grid_id or None, department or None
    account.session_epoch += 1  # a new binding is a new data scope: sign in again
    account.updated_at, account.changed_by = datetime.now(timezone.utc), by


def unlock(session, account: Account, by: str) -> None:
    account.failed_sign_ins, account.locked_until = 0, None
    account.updated_at, account.changed_by = datetime.now(timezone.utc), by


def remember_registration(session, account_id: str, case: dict) -> None:
    session.merge(Registration(case_id=case["id"], account_id=account_id, tracking_code=case["tracking_code"],
                               channel=case["channel"], category=case["category"], topic=case.get("topic"),
                               grid_id=case["grid_id"], summary=case["content"][:200],
                               at=datetime.now(timezone.utc)))


def start_reception(session, account_id: str, grid_id: str, reception_id: str | None) -> ReceptionDraft:
    draft = ReceptionDraft(id=str(uuid.uuid4()), account_id=account_id, grid_id=grid_id, reception_id=reception_id,
                           started_at=datetime.now(timezone.utc), case_ids=[])
    session.add(draft)
    return draft


def add_to_reception(draft: ReceptionDraft, case_id: str) -> None:
    draft.case_ids = [*draft.case_ids, case_id]


def end_reception(draft: ReceptionDraft, session_id: str, ended_at: datetime) -> None:
    draft.ended_at, draft.session_id = ended_at, session_id
