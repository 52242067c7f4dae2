"""Intake lookup benchmark: p50/p95/p99 of finding a case by tracking code and by external id, N cases stored.

    .venv/bin/python bench/intake_lookup_bench.py                 # 1,000,000 cases (SQLite), ~2-4 min set-up
    .venv/bin/python bench/intake_lookup_bench.py --cases 100000 --lookups 2000
    .venv/bin/python bench/intake_lookup_bench.py --database-url postgresql://postgres@127.0.0.1:5432/bench_intake

Set-up: a freshly migrated intake database; the rows (cases, with one history entry each) are bulk-loaded
directly with SQLAlchemy Core in batches, not through the API. Then, through the real app in process (Flask
test client: routing, auth, schema dump, JSON; no network), each lookup is timed:

  tracking code  GET /v1/track/{code}                          (public; rate limit raised for the bench)
  external id    GET /v1/cases?external_system=S&external_id=X  (cases:read)

Codes and ids are drawn at random from the stored rows, so the database cache is not warm for each one. The
target is p95 <= 10 ms. Figures are noisy on a shared machine: the script prints the other load it saw.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_bench import busy_cores  # noqa: E402

GRIDS = 218  # Shaoshan's villagers'-group/estate grids (DOMAIN.md)
BATCH = 20_000


def load(db, n: int, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Insert n cases (one in four from an integration system) and return samples of codes and external ids."""
    from sqlalchemy import insert

    from intake import domain
    from intake.models import Case, CaseEntry

    rng = random.Random(seed)
    grids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(GRIDS)]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    codes, externals, issued = [], [], set()
    done, began = 0, time.monotonic()
    while done < n:
        cases, entries = [], []
        for i in range(done, min(n, done + BATCH)):
            case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            code = "WG" + "".join(rng.choice(domain.TRACKING_ALPHABET) for _ in range(8))
            while code in issued:  # 31^8 codes: a clash or so is expected among 1 M (intake retries on one)
                code = "WG" + "".join(rng.choice(domain.TRACKING_ALPHABET) for _ in range(8))
            issued.add(code)
            external = ("zongzhi", f"ZZ-{i:08d}") if i % 4 == 0 else (None, None)
            at = start + timedelta(seconds=i * 60)
            content = f"第{i}件：村口路灯坏了，晚上出行不便。"
            cases.append({
                "id": case_id, "tracking_code": code, "channel": "integration" if external[0] else "hotline",
                "grid_id": grids[i % GRIDS], "category": "request", "topic": "road", "content": content,
                "content_key": domain.content_key(content), "urgency": "normal", "priority": "normal",
                "special_groups": [], "attachments": [], "reporter_ref": "rp_" + secrets.token_hex(12),
                "reporter_phone_masked": "138****5678", "received_by_kind": "system" if external[0] else "call_taker",
                "received_by_id": "bench", "received_at": at, "external_system": external[0],
                "external_id": external[1], "status": "assigned", "step": "assigned", "state_changed_at": at,
                "created_at": at})
            entries.append({"case_id": case_id, "event_id": str(uuid.uuid4()), "event_type": "case.registered",
                            "state": "registered", "step": "received", "reason": "bench", "attachments": [],
                            "actor": "bench", "at": at})
            if rng.random() < 0.01:
                codes.append(code)
                if external[0]:
                    externals.append(external)
        with db.engine.begin() as conn:
            conn.execute(insert(Case.__table__), cases)
            conn.execute(insert(CaseEntry.__table__), entries)
        done += len(cases)
        rate = done / (time.monotonic() - began)
        print(f"\r  loaded {done:>9,} cases ({rate:,.0f}/s)", end="", flush=True)
    print()
    return codes, externals


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def pct(p):
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "max": ordered[-1] * 1000, "n": len(ordered)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=3000, help="timed lookups of each kind (default 3000)")
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    from wangge_common import auth, crypto, migrations
    from wangge_common.settings import Settings

    from intake.app import create_app
    from intake.service import SPEC

    tmp = Path(tempfile.mkdtemp(prefix="wangge-lookup-"))
    try:
        raw, entry = auth.new_key("bench", ["cases:read"])
        url = args.database_url or f"sqlite:///{tmp / 'intake.db'}"
        settings = Settings.from_env("intake", {
            "WANGGE_VAR_DIR": str(tmp), "WANGGE_INTAKE_DATABASE_URL": url, "WANGGE_API_KEYS": json.dumps([entry]),
            "WANGGE_PII_KEY": crypto.new_key(), "WANGGE_INTAKE_TRACK_PER_MINUTE": "100000000",
            "WANGGE_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
        migrations.upgrade(SPEC, settings)
        app = create_app(settings)
        runtime = app.extensions["wangge_runtime"]
        print(f"intake lookup bench: {args.cases:,} cases on {runtime.db.dialect}, {args.lookups} lookups each")
        codes, externals = load(runtime.db, args.cases, args.seed)
        if runtime.db.dialect == "postgresql":
            with runtime.db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        client, headers = app.test_client(), {"Authorization": f"Bearer {raw}"}
        rng = random.Random(args.seed + 1)
        other = busy_cores()
        results = {}
        for name, pick, call in (
            ("tracking code", lambda: rng.choice(codes), lambda code: client.get(f"/v1/track/{code}")),
            ("external id", lambda: rng.choice(externals),
             lambda ext: client.get(f"/v1/cases?external_system={ext[0]}&external_id={ext[1]}", headers=headers)),
        ):
            for _ in range(50):  # warm the code paths, not the data
                call(pick())
            timings = []
            for _ in range(args.lookups):
                target = pick()
                t0 = time.perf_counter()
                response = call(target)
                timings.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    raise RuntimeError(f"{name} lookup answered {response.status_code}: {response.get_data(True)}")
            results[name] = percentiles(timings)
        print("=" * 78)
        for name, figures in results.items():
            verdict = "met" if figures["p95"] <= 10 else "NOT MET"
            print(f"{name:14} p50 {figures['p50']:5.2f} ms  p95 {figures['p95']:5.2f} ms  p99 {figures['p99']:5.2f} ms"
                  f"  max {figures['max']:6.1f} ms   (target p95 <= 10 ms: {verdict})")
        print(f"other processes kept {other:.1f} of {os.cpu_count()} cores busy before the timed lookups")
        runtime.db.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
