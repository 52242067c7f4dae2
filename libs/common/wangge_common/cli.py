"""`wangge`: migrations, relays, consumers, topics, API keys; `wangge run` comes from wangge-devstack."""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading

from .settings import SERVICES, Settings

log = logging.getLogger("wangge")


def load_spec(service: str):
    """The ServiceSpec a service declares in <service>/service.py."""
    return importlib.import_module(f"{service}.service").SPEC


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def _handler(signum, _frame):
        log.info("signal %s received, stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop


def _serve_metrics(settings: Settings, role: str) -> None:
    """Serve /metrics on WANGGE_<SERVICE>_<ROLE>_METRICS_PORT, else WANGGE_<SERVICE>_METRICS_PORT (one process
    per container), bound to WANGGE_METRICS_HOST (127.0.0.1 by default; 0.0.0.0 in containers)."""
    port = settings.metrics_port_for(role)
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, addr=settings.metrics_host)
        log.info("metrics on %s:%d", settings.metrics_host, port, extra={"service": settings.service, "role": role})


def cmd_migrate(args) -> int:
    from . import migrations, telemetry

    telemetry.configure(args.service, "migrate")
    spec, settings = load_spec(args.service), Settings.from_env(args.service)
    migrations.upgrade(spec, settings)
    log.info("database at head", extra={"service": args.service})
    return 0


def cmd_revision(args) -> int:
    from . import migrations

    migrations.revision(load_spec(args.service), Settings.from_env(args.service), args.message)
    return 0


def _run_process(service: str, role: str, spec, loop) -> int:
    """One long-running process of a service (relay, consumer, scheduler): logs and tracing for its role,
    metrics when a port is set, and `loop(runtime).run(stop)` until SIGTERM or SIGINT."""
    from . import telemetry
    from .runtime import Runtime

    telemetry.configure(service, role)
    settings = Settings.from_env(service)
    stop = _stop_on_signals()
    _serve_metrics(settings, role)
    loop(Runtime(spec, settings)).run(stop)
    return 0


def _utc_time(raw: str):
    """An ISO 8601 time for --republish-since; without a zone it is UTC."""
    from datetime import datetime, timezone

    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {raw!r} (e.g. 2026-12-01T08:00:00Z)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def cmd_relay(args) -> int:
    from .relay import OutboxRelay

    spec = load_spec(args.service)
    if args.republish_since is not None:
        return republish(args.service, spec, args.republish_since)
    return _run_process(args.service, "relay", spec, OutboxRelay)


def republish(service: str, spec, since) -> int:
    """`wangge relay <service> --republish-since T`: put every event the relay published at or after T back to be
    published again (a broker that lost them, a topic restored from a backup taken at T); the running relay sends
    them, oldest first, and consumers drop the ones they already have."""
    from . import telemetry
    from .relay import oldest_published, republish_since, retention_cutoff
    from .runtime import Runtime

    telemetry.configure(service, "relay")
    if not spec.publishes:
        print(f"{service} publishes no topic: nothing to re-publish", file=sys.stderr)
        return 2
    runtime = Runtime(spec, Settings.from_env(service))
    try:
        oldest, cutoff = oldest_published(runtime), retention_cutoff(runtime)
        count = republish_since(runtime, since, "operator")
    finally:
        runtime.db.dispose()
    print(f"{count} events of {service} published since {since.isoformat()} put back to be published again; "
          f"the running relay ({service}) sends them")
    if oldest is not None and since < oldest:
        print(f"warning: the oldest published event {service} still keeps is from {oldest.isoformat()}; events "
              f"before it were deleted after the retention period "
              f"({cutoff.isoformat() if cutoff else 'kept forever'}) and cannot be re-published", file=sys.stderr)
    return 0


def cmd_consume(args) -> int:
    from .consumer import ConsumerRunner

    spec = load_spec(args.service)
    if not spec.consumes:
        log.error("%s consumes no topic", args.service)
        return 2
    return _run_process(args.service, "consumer", spec, ConsumerRunner)


def cmd_schedule(args) -> int:
    from .scheduler import Scheduler

    return _run_process(args.service, "scheduler", load_spec(args.service), Scheduler)


def cmd_topics(args) -> int:
    from .contracts import all_topic_specs
    from .kafka import client_security, ensure_topics

    settings = Settings.from_env("intake")  # topics are created with the settings' credentials (an admin's)
    created = ensure_topics(args.bootstrap or settings.kafka_bootstrap, security=client_security(settings))
    for name, partitions in sorted(all_topic_specs().items()):
        print(f"{name}\t{partitions} partitions\t{'created' if name in created else 'exists'}")
    return 0


def cmd_apikey(args) -> int:
    from .auth import new_key

    raw, entry = new_key(args.name, [s for s in args.scopes.split(",") if s])
    print(f"key:   {raw}")
    print(f"entry: {json.dumps(entry)}")
    print("Add the entry to the JSON list in WANGGE_API_KEYS or the file named by WANGGE_API_KEYS_FILE; "
          "the key itself is shown only now.", file=sys.stderr)
    return 0


def cmd_demo(args) -> int:
    from .demo import load_demo

    summary = load_demo(args.roster_url, args.api_key, seed=args.seed)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def cmd_export(args) -> int:
    """Delegates to the reporting package: the audit log as JSON Lines."""
    from reporting import replay

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
    """Delegates to the reporting package: rebuild, verify and diff against the live service."""
    from reporting import replay

    from .kafka import client_security

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
    from datetime import datetime, timedelta, timezone

    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[:-1].isdigit() and text[-1:] in units:
        return datetime.now(timezone.utc) - timedelta(seconds=int(text[:-1]) * units[text[-1]])
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z or +08:00")
    return moment


def cmd_reconcile(args) -> int:
    """Delegates to the reporting package: compare intake's cases with routing, notify and the audit log."""
    import time
    from datetime import datetime, timedelta, timezone

    from reporting import reconcile

    settings = Settings.from_env("reporting")
    client = reconcile.ServiceClient(settings.service_urls, args.api_key or os.environ.get("WANGGE_API_KEY"))
    until = args.until or datetime.now(timezone.utc) - timedelta(seconds=args.grace_s)
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="wangge", description="wangge (网格) operations")
    sub = parser.add_subparsers(dest="command", required=True)

    def service_cmd(name, func, help_):
        p = sub.add_parser(name, help=help_)
        p.add_argument("service", choices=SERVICES)
        p.set_defaults(func=func)
        return p

    service_cmd("migrate", cmd_migrate, "apply the service's database migrations")
    p = service_cmd("relay", cmd_relay, "publish the service's outbox to Kafka until stopped")
    p.add_argument("--republish-since", type=_utc_time, metavar="ISO_TIME",
                   help="instead: put every event published at or after this time back to be published again by "
                        "the running relay (a broker that lost them, a topic restored from a backup), then exit")
    service_cmd("consume", cmd_consume, "run the service's Kafka consumer until stopped")
    service_cmd("schedule", cmd_schedule, "run the service's periodic jobs (one leader per service) until stopped")
    p = service_cmd("revision", cmd_revision, "autogenerate a migration for the service (developers)")
    p.add_argument("-m", "--message", required=True)
    p = sub.add_parser("topics", help="create the suite's topics with their partition counts")
    p.add_argument("action", choices=["create"])
    p.add_argument("--bootstrap", help="host:port (default WANGGE_KAFKA_BOOTSTRAP)")
    p.set_defaults(func=cmd_topics)
    p = sub.add_parser("apikey", help="create an API key; prints the key once and the hashed entry to store")
    p.add_argument("action", choices=["new"])
    p.add_argument("--name", required=True)
    p.add_argument("--scopes", required=True, help="comma-separated, e.g. cases:write,cases:read")
    p.set_defaults(func=cmd_apikey)
    p = sub.add_parser("demo", help="load the Shaoshan-sized demo county into a running roster")
    p.add_argument("action", choices=["load"])
    p.add_argument("--roster-url", default="http://127.0.0.1:8101")
    p.add_argument("--api-key", required=True)
    p.add_argument("--seed", type=int, default=2026)
    p.set_defaults(func=cmd_demo)
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
    _add_installed_commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def _add_installed_commands(sub) -> None:
    """Subcommands other installed packages declare under the `wangge.commands` entry point (`wangge run` comes
    from wangge-devstack), so this library imports none of them."""
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group="wangge.commands"), key=lambda e: e.name):
        entry.load()(sub)


if __name__ == "__main__":
    sys.exit(main())
