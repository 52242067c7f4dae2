"""What every page shares: the signed-in person, their caller for the services, client address, throttling."""
from __future__ import annotations

import functools
import ipaddress
import time

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_limiter import Limiter

from .. import domain, queries
from ..clients import Caller
from ..runtime import PortalRuntime


def runtime() -> PortalRuntime:
    return current_app.extensions["portal"]


def client_ip() -> str:
    """The client's address: X-Forwarded-For is believed only when the direct peer is a configured proxy, and then
    the right-most address that is not one of our proxies is the client's."""
    peer = request.remote_addr or "?"
    trusted = runtime().settings.trusted_proxies
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


limiter = Limiter(key_func=client_ip)


def signin_limit() -> str:
    return runtime().settings.signin_limit


def online_limit() -> str:
    return runtime().settings.online_limit


def track_limit() -> str:
    return runtime().settings.track_limit


def load_person() -> None:
    """Before each request: the signed-in account, if its session is still valid (not idle, not too old, not
    signed out elsewhere by a password change, not disabled)."""
    g.person = None
    account_id = session.get("account_id")
    if not account_id:
        return
    rt, now = runtime(), time.time()
    expired = domain.session_expired(session.get("signed_in_at", 0), session.get("last_seen", 0), now,
                                     idle_minutes=rt.settings.session_idle_minutes,
                                     max_hours=rt.settings.session_max_hours)
    with rt.db.sessions() as db:
        account = queries.account(db, account_id)
    if expired or account is None or account.disabled or account.session_epoch != session.get("epoch"):
        session.clear()
        g.session_ended = True
        return
    session["last_seen"] = now
    g.person = account


def signed_in(*roles):
    """Only for a signed-in person (of one of `roles`, if given); others go to the sign-in page or get 403."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if g.person is None:
                reason = "expired" if getattr(g, "session_ended", False) else None
                return redirect(url_for("auth.signin", next=request.full_path.rstrip("?"), reason=reason))
            if roles and g.person.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def caller() -> Caller:
    """The signed-in person as the services will see them: id, name, scopes, data scope."""
    person = g.person
    rt = runtime()
    grids = None
    if person.role in ("deputy", *domain.TOWNSHIP_ROLES):
        grids = rt.cached_grids(person.id, lambda: resolve_grids(person))
    departments = (person.department,) if person.role == "department" else None
    return Caller(person.id, person.display_name, domain.ROLE_SCOPES[person.role], grids, departments,
                  deputy=person.deputy_id if person.role == "deputy" else None)


def resolve_grids(person) -> set[str]:
    """The grids of a deputy (live assignments) or of a township (the township grid and every grid under it),
    with the grids under an assigned village; asked of roster with the person's own (unscoped) read token."""
    rt = runtime()
    reader = Caller(person.id, person.display_name, ("roster:read",))
    if person.role == "deputy":
        found = rt.services.get(reader, "roster", "/v1/assignments", deputy_id=person.deputy_id, current="true",
                                page_size=1000)
        roots = {a["grid_id"] for a in _items(found)}
    else:
        roots = {person.grid_id}
    grids, frontier = set(roots), list(roots)
    while frontier:
        children = _items(rt.services.get(reader, "roster", "/v1/grids", parent_id=frontier.pop(), page_size=1000))
        for child in children:
            if child["id"] not in grids:
                grids.add(child["id"])
                frontier.append(child["id"])
    return grids


def _items(found):
    return found["items"] if isinstance(found, dict) else found
