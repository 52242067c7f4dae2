"""`python -m portal.cli`: migrate the portal's database, create accounts, create the demo accounts of `make run`."""
from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

from .clients import Caller
from .settings import PortalSettings


def cmd_migrate(_args) -> int:
    from . import migrate

    migrate.upgrade(PortalSettings.from_env().database_url)
    return 0


def cmd_create_account(args) -> int:
    from . import commands
    from .runtime import PortalRuntime

    rt = PortalRuntime(PortalSettings.from_env())
    password = args.password or secrets.token_urlsafe(12)
    try:
        with rt.db.transaction() as db:
            commands.create_account(db, rt.hasher, username=args.username, display_name=args.name, role=args.role,
                                    password=password, deputy_id=args.deputy_id, grid_id=args.grid_id,
                                    department=args.department, by="cli")
    except commands.AccountProblem as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"username": args.username, "password": password}, ensure_ascii=False))
    return 0


def _items(found):
    return found["items"] if isinstance(found, dict) else found


def demo_bindings(rt) -> dict:
    """From the loaded demo county: the first township, a deputy serving one of its grids, a town department."""
    reader = Caller("demo-setup", "演示数据", ("roster:read", "cases:read"))
    services = rt.services
    township = sorted(_items(services.get(reader, "roster", "/v1/grids", level=1, page_size=1000)),
                      key=lambda g: g["code"])[0]
    under, frontier = {township["id"]}, [township["id"]]
    while frontier:
        for child in _items(services.get(reader, "roster", "/v1/grids", parent_id=frontier.pop(), page_size=1000)):
            under.add(child["id"])
            frontier.append(child["id"])
    assignments = _items(services.get(reader, "roster", "/v1/assignments", current="true", page_size=1000))
    serving = sorted((a for a in assignments if a["grid_id"] in under), key=lambda a: (a["grid_code"], a["deputy_name"]))
    if not serving:
        raise RuntimeError(f"no deputy serves a grid of {township['name']}: is the demo county loaded?")
    rules = services.get(reader, "routing", "/v1/dispatch-rules")
    department = sorted({r["department_code"] for r in rules if r["department_code"].startswith("town-")})[0]
    return {"township": township, "deputy": serving[0], "department": department}


DEMO = (  # username, role, display name
    ("admin", "admin", "系统管理员"),
    ("township", "township_staff", "乡镇人大干事"),
    ("approver", "township_approver", "乡镇人大主席"),
    ("deputy", "deputy", None),
    ("calltaker", "call_taker", "热线话务员小李"),
    ("department", "department", "部门经办人"),
    ("supervisor", "supervisor", "常委会督查"),
    ("city", "city_funder", "市民生微实事办"),
    ("auditor", "auditor", "审计员"),
)


def cmd_demo_accounts(_args) -> int:
    """Create one account per role (once; passwords kept in var/portal-demo-accounts.json) and print them."""
    from sqlalchemy import select

    from . import commands
    from .models import Account
    from .runtime import PortalRuntime

    settings = PortalSettings.from_env()
    rt = PortalRuntime(settings)
    path = Path(settings.var_dir) / "portal-demo-accounts.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    with rt.db.sessions() as db:
        existing = set(db.scalars(select(Account.username)))
    missing = [d for d in DEMO if d[0] not in existing]
    if missing:
        bound = demo_bindings(rt)
        binding = {"deputy": {"deputy_id": bound["deputy"]["deputy_id"]},
                   "township_staff": {"grid_id": bound["township"]["id"]},
                   "township_approver": {"grid_id": bound["township"]["id"]},
                   "department": {"department": bound["department"]}}
        with rt.db.transaction() as db:
            for username, role, name in missing:
                password = stored.get(username) or secrets.token_urlsafe(9)
                stored[username] = password
                commands.create_account(db, rt.hasher, username=username, role=role, password=password,
                                        display_name=name or bound["deputy"]["deputy_name"],
                                        by="make-run", **binding.get(role, {}))
        path.write_text(json.dumps(stored))
        path.chmod(0o600)
    with rt.db.sessions() as db:
        accounts = {a.username: a for a in db.scalars(select(Account))}
    from .domain import ROLE_LABELS

    for username, role, _ in DEMO:
        account = accounts.get(username)
        if account is not None and username in stored:
            print(f"    {ROLE_LABELS[role]:<10} {username:<11} {stored[username]:<14} {account.display_name}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="portal")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the portal's database to the newest schema").set_defaults(func=cmd_migrate)
    create = sub.add_parser("create-account", help="create an account (prints the password once)")
    create.add_argument("username")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True)
    create.add_argument("--password")
    create.add_argument("--deputy-id")
    create.add_argument("--grid-id")
    create.add_argument("--department")
    create.set_defaults(func=cmd_create_account)
    sub.add_parser("demo-accounts", help="one demo account per role (make run)").set_defaults(func=cmd_demo_accounts)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
