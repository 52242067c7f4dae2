"""Benchmark: KPI endpoints over N cases (default 1,000,000) in the case projection. Target: p95 ≤ 50 ms.

Builds the case projection and its KPI cells directly (synthetic rows, not measured), then calls each endpoint in-process through the
Flask test client (no network, no gunicorn) `--repeat` times and prints median and p95 per endpoint.

    .venv/bin/python bench/reporting_kpis.py [--cases 1000000] [--repeat 20]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from wangge_common import auth, crypto  # noqa: E402
from wangge_common.settings import Settings  # noqa: E402
from wangge_common import migrations  # noqa: E402
from reporting.app import create_app  # noqa: E402
from reporting.models import CaseFact, DeputyFact, GridFact, KpiCell  # noqa: E402
from reporting.projections import MemoryStore, Projector  # noqa: E402
from reporting.replay import BulkLoader  # noqa: E402
from reporting.service import SPEC  # noqa: E402

ENDPOINTS = ["/v1/kpis", "/v1/kpis?period=2026-06", "/v1/kpis/slices?dimension=grid",
             "/v1/kpis/slices?dimension=township", "/v1/kpis/slices?dimension=department",
             "/v1/kpis/slices?dimension=deputy", "/v1/kpis/slices?dimension=channel",
             "/v1/kpis/slices?dimension=period", "/v1/kpis/misses?kpi=closure_rate&dimension=channel&key=hotline"]


def rows(n: int, rng: random.Random):
    towns = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(4)]
    grids = [{"grid_id": str(uuid.UUID(int=rng.getrandbits(128))), "code": f"G{i}", "name": f"村{i}", "level": 2,
              "parent_id": towns[i % 4], "households": 300, "population": 1000} for i in range(38)]
    grids += [{"grid_id": t, "code": f"T{i}", "name": f"乡镇{i}", "level": 1, "parent_id": None, "households": 0,
               "population": 0} for i, t in enumerate(towns)]
    deputies = [{"deputy_id": str(uuid.UUID(int=rng.getrandbits(128))), "name": f"代表{i}", "level": "township",
                 "kind": "npc_deputy", "position": None, "status": "serving"} for i in range(414)]
    cases = []
    for i in range(n):
        closed = rng.random() < 0.93
        rating = rng.choice(("satisfied", "satisfied", "basically_satisfied", "unsatisfied", None)) if closed else None
        month = rng.randrange(1, 12)
        cases.append({
            "case_id": str(uuid.UUID(int=rng.getrandbits(128))), "grid_id": grids[rng.randrange(38)]["grid_id"],
            "channel": rng.choice(("hotline", "station", "online", "visit")),
            "category": rng.choice(("request", "enquiry", "complaint", "suggestion")),
            "registered_at": f"2026-{month:02d}-10T08:00:00Z", "period": f"2026-{month:02d}", "special": False,
            "state": "closed" if closed else "in_progress", "department": f"dept-{rng.randrange(30):02d}",
            "deputy_id": deputies[rng.randrange(414)]["deputy_id"], "answered": closed, "answered_on_time": closed,
            "replied": closed, "replied_on_time": closed, "rating": rating, "reopen_count": int(rng.random() < 0.04),
            "mediated": False, "closed": closed, "outcome": rating or ("not_rated" if closed else None),
            "on_time": closed and rng.random() < 0.9, "closed_at": "2026-12-01T00:00:00Z" if closed else None,
            "handling_s": rng.randrange(3600, 3600 * 400) if closed else None, "withdrawn": False})
    return grids, deputies, cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw, entry = auth.new_key("bench", ["audit:read"])
        settings = Settings.from_env("reporting", {
            "WANGGE_VAR_DIR": tmp, "WANGGE_API_KEYS": json.dumps([entry]), "WANGGE_PII_KEY": crypto.new_key(),
            "WANGGE_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
        migrations.upgrade(SPEC, settings)
        app = create_app(settings)
        runtime = app.extensions["wangge_runtime"]
        t = time.perf_counter()
        grids, deputies, cases = rows(args.cases, random.Random(3))
        store = MemoryStore()
        for case in cases:
            store.put(CaseFact, case)
        Projector(store, incremental_cells=False).build_cells()  # the KPI cells, as a replay makes them
        with BulkLoader(runtime.db) as load:
            load.insert_dicts(GridFact.__table__, grids)
            load.insert_dicts(DeputyFact.__table__, deputies)
            for model, rows_ in store.sorted_tables():
                if model in (CaseFact, KpiCell):
                    load.insert_dicts(model.__table__, rows_)
        print(f"{args.cases:,} cases in the projection ({time.perf_counter() - t:.1f} s to build, not measured)")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {raw}"}
        for url in ENDPOINTS:
            timings = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = client.get(url, headers=headers)
                timings.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.data[:300]
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95 + 0.5) - 1)]
            print(f"{url:70s} median {statistics.median(timings):8.1f} ms   p95 {p95:8.1f} ms (target ≤ 50 ms)")
        runtime.db.dispose()


if __name__ == "__main__":
    main()
