"""Benchmark: replay N events (default 1,000,000) into every reporting projection, then verify the 1 M-entry log
and time inclusion and consistency proofs. Targets: replay ≥ 50,000 events/s, verify ≤ 10 s, a proof ≤ 10 ms.

Replay is measured end to end into a fresh SQLite database: hash chain and log rows (this process) while a forked
process computes the Merkle tree and every projection, then the bulk write of log, tree nodes, head and
projections in one transaction. `--command` also times the whole `wangge replay --file` command on an export of
the same log (reading the file, replay, verify of the rebuilt log, every KPI table). Wall time is the figure the
target is about; CPU time (this process, plus the child's for the replay) is printed beside it because the
machine is shared and wall time is noisy.

    .venv/bin/python bench/reporting_replay.py [--events 1000000] [--serial] [--command]
"""
from __future__ import annotations

import argparse
import os
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
from reporting import merkle, replay  # noqa: E402
from reporting.queries import audit  # noqa: E402
from reporting.service import SPEC  # noqa: E402


def cpu() -> float:
    """CPU seconds of this process and of its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--serial", action="store_true", help="compute tree and projections in this process too")
    parser.add_argument("--command", action="store_true", help="also time the whole replay command on an export")
    args = parser.parse_args()
    started = time.perf_counter()
    records = county_log(args.events)
    print(f"generated {len(records):,} events in {time.perf_counter() - started:.1f} s (not measured)")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/replay.db"
        migrations.upgrade(SPEC, Settings.from_env("reporting", {"WANGGE_REPORTING_DATABASE_URL": url}))
        db = Database(url)
        t, c = time.perf_counter(), cpu()
        rebuilt = replay.rebuild(records, parallel=not args.serial)
        log_done = time.perf_counter() - t
        replay.write(rebuilt, db, [])
        total, total_cpu = time.perf_counter() - t, cpu() - c
        print(f"replay: hash chain + log rows {log_done:.2f} s, then with the Merkle tree and every projection "
              f"({'in this process' if args.serial else 'from the forked process'}) the bulk write into a fresh "
              f"SQLite database (log, tree nodes, projections): {len(rebuilt.store.tables[replay.CaseFact]):,} cases")
        print(f"replay total: {total:.2f} s = {len(records) / total:,.0f} events/s (target ≥ 50,000); "
              f"CPU {total_cpu:.2f} s = {total_cpu / len(records) * 1e6:.1f} µs per event")

        with db.sessions() as session:
            t, c = time.perf_counter(), cpu()
            result = audit.verify(session)
            print(f"verify {result['entries']:,} entries (chain, tree, head): {time.perf_counter() - t:.2f} s, "
                  f"CPU {cpu() - c:.2f} s, valid={result['valid']} (target ≤ 10 s)")
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
            print(f"inclusion proof ({args.proofs} random entries, database lookups included, each verified): "
                  f"median {statistics.median(timings):.2f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.2f} ms "
                  f"(target ≤ 10 ms)")
            t = time.perf_counter()
            proof = audit.consistency_proof(session, first=size // 3, second=size)
            elapsed = (time.perf_counter() - t) * 1000
            assert merkle.verify_consistency(size // 3, size, bytes.fromhex(proof["first_root"]),
                                             bytes.fromhex(proof["second_root"]),
                                             [bytes.fromhex(h) for h in proof["proof"]])
            print(f"consistency proof {size // 3:,} → {size:,}: {elapsed:.2f} ms")
        if args.command:
            path = Path(tmp) / "log.jsonl"
            with open(path, "w", encoding="utf-8") as out:
                replay.export(url, out)
            db.dispose()
            t, c = time.perf_counter(), cpu()
            with open(path, encoding="utf-8") as source:
                report = replay.replay(into=f"sqlite:///{tmp}/again.db", source_file=source)
            print(f"whole `wangge replay --file` command (read the export, replay, verify, every KPI table): "
                  f"{time.perf_counter() - t:.2f} s, CPU {cpu() - c:.2f} s, chain valid={report['chain']['valid']}, "
                  f"rebuilt log verifies={report['rebuilt_log_verifies']}")
        db.dispose()


if __name__ == "__main__":
    main()
