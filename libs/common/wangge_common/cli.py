"""`wangge`: migrations, relays, consumers, topics, API keys. Other packages add their own subcommands through the
`wangge.commands` entry point: `wangge run` comes from wangge-devstack, `export`/`replay`/`reconcile` from reporting."""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import signal
import sys
import threading

from .settings import SERVICES, Settings

log = logging.getLogger("wangge")


def load_spec(service: str):
    """The ServiceSpec a service declares in <service>/service.py."""
    return importlib.import_module(f"{service}.service").SPEC


def known_scopes() -> dict[str, str]:
    """Every scope some service declares (its ServiceSpec.scopes), with the shared infrastructure's: what an API key
    may carry, since one key may call several services. A service not installed here adds nothing."""
    from .auth import COMMON_SCOPES

    scopes = dict(COMMON_SCOPES)
    for service in SERVICES:
        try:
            spec = load_spec(service)
        except ModuleNotFoundError as exc:
            if exc.name not in (service, f"{service}.service"):
                raise
            continue
        scopes.update(spec.scopes)
    return scopes


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

    spec, settings = load_spec(args.service), Settings.from_env(args.service)
    telemetry.configure(args.service, "migrate", settings)
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

    settings = Settings.from_env(service)
    telemetry.configure(service, role, settings)
    stop = _stop_on_signals()
    _serve_metrics(settings, role)
    loop(Runtime(spec, settings)).run(stop)
    return 0


def _utc_time(raw: str):
    """An ISO 8601 time for --republish-since; without a zone it is UTC."""
    from .clock import parse_time

    try:
        return parse_time(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {raw!r} (e.g. 2026-12-01T08:00:00Z)") from None


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

    settings = Settings.from_env(service)
    telemetry.configure(service, "relay", settings)
    if not spec.publishes:
        print(f"{service} publishes no topic: nothing to re-publish", file=sys.stderr)
        return 2
    runtime = Runtime(spec, settings)
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

    try:
        raw, entry = new_key(args.name, [s for s in args.scopes.split(",") if s], known=known_scopes())
    except ValueError as exc:  # a scope no service declares: a typo, or a service not installed here
        print(f"wangge apikey: {exc}", file=sys.stderr)
        return 2
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
