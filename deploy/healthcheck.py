#!/usr/bin/env python3
"""Container health check for every wangge process; exit 0 = healthy, 1 = unhealthy, with one line saying why.

  healthcheck.py http [URL]           a web service: URL (default http://127.0.0.1:8000/healthz) answers 2xx
  healthcheck.py metrics [--port P]   a relay or scheduler: its /metrics answers
  healthcheck.py consumer [--port P] [--stall-after S]
                                      a consumer: its /metrics answers, and while it has lag (consumer_lag > 0) the
                                      records it has seen (consumer_events_total) grew within the last S seconds.

A consumer that is alive but stuck (a record retried forever, a partition whose position no longer moves) still
answers /metrics; only the second condition sees it. The check runs in a fresh process each time, so it keeps the
last count and when it last changed in a small state file (--state, default /tmp/wangge-health-<port>.json).
Docker marks the container unhealthy (`docker compose ps`, and the ConsumerStalled alert fires from the same
figures); Kubernetes' liveness probe restarts it.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def fetch(url: str, timeout: float) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a local URL we were given
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status}")
        return response.read().decode("utf-8", "replace")


def consumer_figures(text: str) -> tuple[float, float]:
    """(records seen in total, lag summed over partitions) from a Prometheus text exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    seen = lag = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "consumer_events_total":
                seen += sample.value
            elif sample.name == "consumer_lag" and sample.value == sample.value:  # skip NaN
                lag += max(sample.value, 0.0)
    return seen, lag


def judge_consumer(seen: float, lag: float, state_file: Path, stall_after: float, now: float) -> str | None:
    """None when healthy, else why not; updates the state file."""
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        state = None
    if state is None or state.get("seen") != seen or lag == 0:
        state = {"seen": seen, "since": now}  # progress, an idle consumer, or the first look
        state_file.write_text(json.dumps(state))
        return None
    idle = now - float(state["since"])
    if idle > stall_after:
        return f"consumer stalled: lag {lag:.0f} records and none processed for {idle:.0f} s"
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    http = sub.add_parser("http")
    http.add_argument("url", nargs="?", default="http://127.0.0.1:8000/healthz")
    for name in ("metrics", "consumer"):
        p = sub.add_parser(name)
        p.add_argument("--port", type=int, default=9100)
        if name == "consumer":
            p.add_argument("--stall-after", type=float, default=180.0)
            p.add_argument("--state", help="state file (default /tmp/wangge-health-<port>.json)")
    parser.add_argument("--timeout", type=float, default=4.0)
    args = parser.parse_args(argv)
    url = args.url if args.kind == "http" else f"http://127.0.0.1:{args.port}/metrics"
    try:
        body = fetch(url, args.timeout)
    except (OSError, urllib.error.URLError) as exc:
        print(f"unhealthy: {url} does not answer ({exc})")
        return 1
    if args.kind == "consumer":
        state = Path(args.state or f"/tmp/wangge-health-{args.port}.json")
        problem = judge_consumer(*consumer_figures(body), state, args.stall_after, time.time())
        if problem:
            print(f"unhealthy: {problem}")
            return 1
    print("healthy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
