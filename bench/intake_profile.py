"""Where one registration's CPU goes: intake in process (Flask test client), no HTTP server, no contention.

    .venv/bin/python bench/intake_profile.py                 # CPU ms per POST /v1/cases, then the profile
    .venv/bin/python bench/intake_profile.py --requests 5000 --top 40 --no-profile

Uses the same body as `make bench` (distinct content per request, a quarter with an Idempotency-Key) on a freshly
migrated SQLite database in a temporary directory. The CPU figure is measured without the profiler.
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from intake_bench import CASE, prepare_intake  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wangge-profile-") as tmp:
        env, token, grid = prepare_intake(Path(tmp))
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        os.environ.update(env)
        from intake.app import create_app

        client = create_app().test_client()
        body = json.dumps(dict(CASE, grid_id=grid), ensure_ascii=False)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        seq = iter(range(10**9))

        def post() -> None:
            n = next(seq)
            extra = {"Idempotency-Key": str(uuid.uuid4())} if n % 4 == 0 else {}
            payload = body.replace("__N__", hashlib.sha1(str(n).encode()).hexdigest())
            answer = client.post("/v1/cases", data=payload, headers=headers | extra)
            if answer.status_code != 201:
                raise SystemExit(f"answer {answer.status_code}: {answer.get_data(as_text=True)[:500]}")

        for _ in range(300):  # warm caches (statement cache, known grid, duplicate profiles)
            post()
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            post()
        cpu_ms = (time.process_time() - cpu) * 1000 / args.requests
        wall_ms = (time.perf_counter() - started) * 1000 / args.requests
        print(f"in process: {cpu_ms:.3f} ms CPU, {wall_ms:.3f} ms wall per registration ({args.requests} requests)")
        if not args.no_profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                post()
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
