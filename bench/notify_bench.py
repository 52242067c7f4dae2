"""Notify benchmark: events handled/s (deliveries created in the consumer's transaction) and messages sent/s by the
sender job to the fake SMS gateway and to a webhook receiver, on SQLite (or PostgreSQL with TEST_DATABASE_URL).

    .venv/bin/python bench/notify_bench.py [--events 500]

No broker: events go through the same EventProcessor the Kafka consumer uses. The gateway and the receiver are
local Flask apps in threads of this process, so "sent/s" includes their work too (a floor, not a ceiling).
The machine is shared (2 cores): expect noisy figures; run it twice and compare.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import platform
import tempfile
import time
import uuid
from pathlib import Path

from flask import Flask

from notify.app import create_app
from notify.fakegateway import create_gateway
from notify.jobs import send_due
from notify.service import SPEC
from wangge_common import contracts
from wangge_common.db import utcnow
from wangge_common.testing import ServiceHarness, event, live_server


def registered(n: int):
    data = copy.deepcopy(contracts.contract("case.registered", 1).schema["examples"][0])
    data.update(case_id=str(uuid.uuid4()), reporter_ref=f"rp_bench_{n}", tracking_code=f"WGB{n:07d}",
                received_by={"kind": "call_taker", "id": "ct-bench"})
    return event("case.registered", data["case_id"], data, source="/wangge/bench")


def contacts() -> Flask:
    app = Flask("bench_contacts")

    @app.get("/v1/internal/reporters/<ref>/contact")
    def reporter(ref):
        return {"name": "居民", "phone": "13800000000", "email": None}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        harness = ServiceHarness(SPEC, create_app, Path(tmp))
        receiver = Flask("bench_receiver")
        receiver.add_url_rule("/hook", "hook", lambda: ("", 204), methods=["POST"])
        gateway = create_gateway()
        try:
            with live_server(gateway) as gateway_url, live_server(contacts()) as contacts_url, \
                    live_server(receiver) as receiver_url:
                harness.runtime.settings = dataclasses.replace(
                    harness.settings, service_urls={**harness.settings.service_urls, "intake": contacts_url},
                    extra={"WANGGE_NOTIFY_SMS_URL": gateway_url + "/sms", "WANGGE_NOTIFY_QUIET_HOURS": "off",
                           "WANGGE_NOTIFY_SMS_DAILY_CAP": "1000"})
                created = harness.client.post("/v1/webhooks", headers=harness.headers(), json={
                    "name": "bench", "url": receiver_url + "/hook", "event_types": ["case.registered"]})
                assert created.status_code == 201, created.json
                events = [registered(n) for n in range(args.events)]
                started, cpu = time.perf_counter(), time.process_time()
                for item in events:
                    harness.deliver(item, "cases.v1")
                handled_s, handled_cpu = time.perf_counter() - started, time.process_time() - cpu
                started, cpu = time.perf_counter(), time.process_time()
                sent = send_due(harness.runtime, utcnow(), max_batches=10_000)
                send_s, send_cpu = time.perf_counter() - started, time.process_time() - cpu
                recorded = len(gateway.config["gateway_state"]["messages"])
        finally:
            harness.close()
    print(f"notify bench on {platform.node()} ({platform.python_version()}), database "
          f"{'PostgreSQL' if not harness.database_url.startswith('sqlite') else 'SQLite'}, {args.events} events "
          f"(CPU: process time, including the in-process gateway and receiver)")
    print(f"  handle  : {args.events / handled_s:8.1f} events/s  ({handled_s * 1000 / args.events:.2f} ms/event; "
          f"CPU {handled_cpu * 1000 / args.events:.2f} ms/event; each creates 3 deliveries: inbox (sent at once), SMS, "
          f"webhook)")
    print(f"  send    : {sent / send_s:8.1f} messages/s ({sent} sent in {send_s:.2f} s, "
          f"CPU {send_cpu * 1000 / max(sent, 1):.2f} ms/message: SMS with a contact look-up each, and webhooks; "
          f"gateway recorded {recorded})")


if __name__ == "__main__":
    main()
