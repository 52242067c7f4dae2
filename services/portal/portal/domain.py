"""The portal's rules, pure Python: roles and what each may do, lock-out, session expiry, photo checks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wangge_common import clock
from wangge_common.inputs import PHOTO_MAX_BYTES, photo_media_type  # noqa: F401 - the form's photo rules, named here

ROLES = ("deputy", "call_taker", "township_staff", "township_approver", "department", "supervisor", "city_funder",
         "auditor", "admin")
ROLE_LABELS = {"deputy": "人大代表", "call_taker": "热线话务员", "township_staff": "乡镇人大工作人员",
               "township_approver": "乡镇人大主席（方案审定）",
               "department": "职能部门经办人", "supervisor": "人大常委会督查",
               "city_funder": "市级民生微实事资金审批", "auditor": "审计员", "admin": "系统管理员"}
# What each role's access token may do at the services (scopes each service declares in its ServiceSpec.scopes;
# a service keeps only the scopes it declares).
ROLE_SCOPES = {
    "deputy": ("cases:read", "cases:write", "cases:evaluate", "roster:read", "duty:record"),
    "call_taker": ("cases:read", "cases:write", "roster:read"),
    "township_staff": ("cases:read", "cases:write", "cases:supervise", "cases:evaluate", "roster:read",
                       "roster:admin"),
    # Approves and publishes the township's assignment plans (派驻方案), and may draft one too; roster refuses a
    # person approving a plan they drafted or submitted.
    "township_approver": ("cases:read", "roster:read", "roster:admin", "roster:approve"),
    "department": ("cases:read", "orders:handle", "roster:read"),
    # 人大常委会 oversees: it reads everything and writes nothing (督办 is the township staff's act)
    "supervisor": ("cases:read", "audit:read", "roster:read", "notify:read"),
    # the city decides the funding of micro livelihood projects (民生微实事) the townships approved
    "city_funder": ("cases:read", "roster:read", "projects:fund"),
    "auditor": ("audit:read", "cases:read", "roster:read"),
    "admin": ("roster:read",),
}
# The binding each role needs: a deputy to a roster deputy, township staff to a township grid, a handler to a
# department; the others see the whole county.
ROLE_BINDING = {"deputy": "deputy_id", "township_staff": "grid_id", "township_approver": "grid_id",
                "department": "department"}
TOWNSHIP_ROLES = ("township_staff", "township_approver")  # bound to a township: their data scope is its grids
HOME = {"deputy": "deputy.home", "city_funder": "projects.index", "call_taker": "hotline.register",
        "admin": "admin.accounts",
        "township_approver": "roster_plans.plans"}

MIN_PASSWORD = 10
CHINA = clock.CHINA  # pages show local time (wangge_common.clock: China keeps one zone)


def binding_problems(role: str, deputy_id: str | None, grid_id: str | None, department: str | None) -> list[tuple]:
    """What is missing or extra in an account's binding, as (field, Chinese reason)."""
    if role not in ROLES:
        return [("role", "未知角色")]
    given = {"deputy_id": deputy_id, "grid_id": grid_id, "department": department}
    needed = ROLE_BINDING.get(role)
    problems = []
    if needed and not given[needed]:
        problems.append((needed, {"deputy_id": "人大代表账户须绑定名册中的代表",
                                  "grid_id": "乡镇账户须绑定一个乡镇网格",
                                  "department": "部门账户须绑定一个职能部门"}[needed]))
    for name, value in given.items():
        if value and name != needed:
            problems.append((name, f"{ROLE_LABELS[role]}账户不绑定此项"))
    return problems


def password_problems(password: str, username: str) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"密码至少 {MIN_PASSWORD} 位")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    if len(set(password)) < 4:
        problems.append("密码过于简单")
    return problems


@dataclass(frozen=True)
class SignInOutcome:
    outcome: str  # signed_in, wrong_password, locked, disabled
    failed: int
    locked_until: datetime | None


def after_attempt(password_ok: bool, failed: int, locked_until: datetime | None, disabled: bool, now: datetime, *,
                  max_failures: int, lock_minutes: int) -> SignInOutcome:
    """The lock-out rule: `max_failures` wrong passwords in a row lock the account for `lock_minutes`; a locked or
    disabled account is refused even with the right password; a success clears the count."""
    if disabled:
        return SignInOutcome("disabled", failed, locked_until)
    if locked_until is not None and locked_until > now:
        return SignInOutcome("locked", failed, locked_until)
    if password_ok:
        return SignInOutcome("signed_in", 0, None)
    failed += 1
    if failed >= max_failures:
        return SignInOutcome("locked", 0, now + timedelta(minutes=lock_minutes))
    return SignInOutcome("wrong_password", failed, None)


def session_expired(signed_in_at: float, last_seen: float, now: float, *, idle_minutes: int, max_hours: int) -> bool:
    """A session ends after `idle_minutes` without a request, and `max_hours` after signing in, whichever first."""
    return now - last_seen > idle_minutes * 60 or now - signed_in_at > max_hours * 3600


# --- the online form's photos ---------------------------------------------------------------------------------
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = PHOTO_MAX_BYTES  # intake's own limit; a photo is judged by content (photo_media_type)


def mobile_ok(phone: str) -> bool:
    return len(phone) == 11 and phone.isdigit() and phone[0] == "1" and phone[1] in "3456789"


# --- 双联系: each deputy keeps ≥ 3 contact households, one of each kind, and meets each at least twice a year (004)
CONTACT_KINDS = ("wealth_leader", "household_in_difficulty", "respected_figure")
MIN_CONTACT_HOUSEHOLDS, MIN_CONTACT_MEETINGS = 3, 2


def contact_in_force(link: dict, today) -> bool:
    """A contact counts until the day it ended (roster's rule: in force while ended_on is after the day asked)."""
    ended = link.get("ended_on")
    return not ended or str(ended) > today.isoformat()


def contact_progress(links: list[dict], today) -> dict:
    """This year's 双联系 against the rule: the households in contact, the kinds missing, those met fewer than twice."""
    current = [link for link in links if contact_in_force(link, today)]
    kinds = {link["kind"] for link in current}
    behind = [link for link in current if link.get("meetings_this_year", 0) < MIN_CONTACT_MEETINGS]
    missing = [kind for kind in CONTACT_KINDS if kind not in kinds]
    return {"households": len(current), "missing_kinds": missing, "behind": behind,
            "met_enough": len(current) - len(behind),
            "ok": len(current) >= MIN_CONTACT_HOUSEHOLDS and not missing and not behind}
