"""Benchmark: replay N events (default 1,000,000) into every reporting projection, then verify the 1 M-entry log
and time inclusion and consistency proofs. Targets: replay ≥ 50,000 events/s, verify ≤ 10 s, a proof ≤ 10 ms.

    .venv/bin/python bench/reporting_replay.py [--events 1000000]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from reporting_common import county_log  # noqa: E402

from wangge_common import migrations  # noqa: E402
from wangge_common.db import Database  # noqa: E402
from wangge_common.settings import Settings  # noqa: E402
from reporting import audit, merkle, replay  # noqa: E402
from reporting.service import SPEC  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1000)
    args = parser.parse_args()
    started = time.perf_counter()
    records = county_log(args.events)
    print(f"generated {len(records):,} events in {time.perf_counter() - started:.1f} s (not measured)")

    t = time.perf_counter()
    rebuilt = replay.rebuild(records)
    in_memory = time.perf_counter() - t
    print(f"replay in memory (chain + Merkle tree + every projection): {in_memory:.2f} s = "
          f"{len(records) / in_memory:,.0f} events/s; {len(rebuilt.store.tables[replay.CaseFact]):,} cases")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/replay.db"
        migrations.upgrade(SPEC, Settings.from_env("reporting", {"WANGGE_REPORTING_DATABASE_URL": url}))
        db = Database(url)
        t = time.perf_counter()
        replay.write(rebuilt, db, [])
        written = time.perf_counter() - t
        total = in_memory + written
        print(f"bulk write into a fresh SQLite database (log, tree nodes, projections): {written:.2f} s")
        print(f"replay total: {total:.2f} s = {len(records) / total:,.0f} events/s (target ≥ 50,000)")

        with db.sessions() as session:
            t = time.perf_counter()
            result = audit.verify(session)
            print(f"verify {result['entries']:,} entries (chain, tree, head): {time.perf_counter() - t:.2f} s, "
                  f"valid={result['valid']} (target ≤ 10 s)")
            size = audit.tree_size(session)
            rng = random.Random(1)
            timings = []
            for _ in range(args.proofs):
                seq = rng.randrange(1, size + 1)
                t = time.perf_counter()
                proof = audit.inclusion_proof(session, seq=seq)
                timings.append((time.perf_counter() - t) * 1000)
            assert merkle.verify_inclusion(proof["leaf_index"], size, bytes.fromhex(proof["leaf_hash"]),
                                           [bytes.fromhex(h) for h in proof["audit_path"]],
                                           bytes.fromhex(proof["root_hash"]))
            timings.sort()
            print(f"inclusion proof ({args.proofs} random entries, database lookups included): "
                  f"median {statistics.median(timings):.2f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.2f} ms "
                  f"(target ≤ 10 ms)")
            t = time.perf_counter()
            audit.consistency_proof(session, first=size // 3, second=size)
            print(f"consistency proof {size // 3:,} → {size:,}: {(time.perf_counter() - t) * 1000:.2f} ms")
        db.dispose()


if __name__ == "__main__":
    main()
