"""Reporting's `wangge` subcommands (registered under the `wangge.commands` entry point): `export`, `replay` and
`reconcile`, so the shared library imports no service."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta

from wangge_common import clock
from wangge_common.settings import Settings


def cmd_export(args) -> int:
    """The audit log as JSON Lines."""
    from . import replay

    url = args.database_url or Settings.from_env("reporting").database_url
    out = open(args.output, "w", encoding="utf-8") if args.output != "-" else sys.stdout
    try:
        count = replay.export(url, out)
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"{count} lines written", file=sys.stderr)
    return 0


def cmd_replay(args) -> int:
    """Rebuild, verify and diff against the live service."""
    from wangge_common.kafka import client_security

    from . import replay

    settings = Settings.from_env("reporting")
    source = open(args.file, encoding="utf-8") if args.file else None
    try:
        report = replay.replay(
            into=args.into, source_file=source, kafka_bootstrap=None if args.file else settings.kafka_bootstrap,
            kafka_security=None if args.file else client_security(settings),
            trusted_key=args.public_key, live_database_url=args.live_database_url, live_url=args.live_url,
            api_key=args.api_key or os.environ.get("WANGGE_API_KEY"), idle_s=args.idle_s)
    finally:
        if source is not None:
            source.close()
    text = replay.render(report)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    ok = (report["chain"]["valid"] is not False and report["rebuilt_log_verifies"]
          and all(c["valid"] for c in report["checkpoints"])
          and report.get("kpis_vs_live", {"identical": True})["identical"])
    return 0 if ok else 1


def _moment(text: str):
    """An ISO 8601 time (a zone is required, e.g. 2026-12-06T08:00:00+08:00 or …Z), or a duration ago: 90m, 2h, 1d."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[:-1].isdigit() and text[-1:] in units:
        return clock.now() - timedelta(seconds=int(text[:-1]) * units[text[-1]])
    moment = clock.parse_time(text)
    if not _zoned(text):
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z or +08:00")
    return moment


def _zoned(text: str) -> bool:
    """Whether an ISO 8601 time names its zone (Z, or an offset after the time of day)."""
    time_of_day = text.strip().partition("T")[2]
    return time_of_day[-1:] in ("Z", "z") or "+" in time_of_day or "-" in time_of_day


def cmd_reconcile(args) -> int:
    """Compare intake's cases with routing, notify and the audit log."""
    from . import reconcile

    settings = Settings.from_env("reporting")
    client = reconcile.ServiceClient(settings.service_urls, args.api_key or os.environ.get("WANGGE_API_KEY"))
    until = args.until or clock.now() - timedelta(seconds=args.grace_s)
    try:
        report = reconcile.reconcile(client, args.since, until)
        if args.republish and not report["clean"]:
            report["republished"] = client.republish(reconcile.missing_ids(report))
        deadline = time.monotonic() + args.wait_s
        while not report["clean"] and time.monotonic() < deadline:  # give re-published events time to arrive
            time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
            again = reconcile.reconcile(client, args.since, until)
            report = {**again, **({"republished": report["republished"]} if "republished" in report else {})}
    except reconcile.ReconcileError as exc:
        print(f"wangge reconcile: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(report, indent=2) + "\n" if args.json else reconcile.render(report))
    return 0 if report["clean"] else 1


def register(sub) -> None:
    """Add export, replay and reconcile to `wangge`'s subcommands."""
    p = sub.add_parser("export", help="write reporting's audit log (and its signed checkpoints) as JSON Lines")
    p.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    p.add_argument("--database-url", help="reporting database (default WANGGE_REPORTING_DATABASE_URL)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("replay", help="rebuild reporting's projections into a fresh database, verify, diff KPIs")
    p.add_argument("--file", help="an export file (default: read the Kafka topics from the beginning)")
    p.add_argument("--into", required=True, help="URL of a fresh, empty database for the rebuilt projections")
    p.add_argument("--public-key", help="hex Ed25519 key the checkpoints must be signed with")
    p.add_argument("--live-database-url", help="diff KPIs against this reporting database")
    p.add_argument("--live-url", help="diff KPIs against this reporting service (needs --api-key, audit:read)")
    p.add_argument("--api-key", help="API key with audit:read (default WANGGE_API_KEY)")
    p.add_argument("--idle-s", type=float, default=5.0, help="Kafka: stop after this long without records")
    p.add_argument("--report", help="write the report here (default: stdout)")
    p.set_defaults(func=cmd_replay)
    p = sub.add_parser("reconcile", help="compare intake's cases of a period with routing, notify and the audit log; "
                       "exit 1 when something is missing or doubled")
    p.add_argument("--since", type=_moment, default="24h", help="start: ISO 8601 time with zone, or 90m/2h/1d ago "
                   "(default 24h)")
    p.add_argument("--until", type=_moment, help="end (default: now minus --grace-s)")
    p.add_argument("--grace-s", type=float, default=60.0, help="leave out cases younger than this (still on their "
                   "way; default 60)")
    p.add_argument("--json", action="store_true", help="the report as JSON (every id missing or doubled)")
    p.add_argument("--republish", action="store_true", help="ask intake's relay to publish the missing cases' "
                   "registrations again (needs outbox:republish)")
    p.add_argument("--wait-s", type=float, default=0.0, help="re-check until clean or this many seconds passed")
    p.add_argument("--api-key", help="API key with cases:read (default WANGGE_API_KEY)")
    p.set_defaults(func=cmd_reconcile)
