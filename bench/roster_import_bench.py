"""Roster import under hostile and large files: how fast a bad file is refused, how much memory it takes, and how
long reads wait while a large import runs as a job.

    .venv/bin/python bench/roster_import_bench.py [--grids 20000]

Runs roster's app in this process (Flask test client, SQLite in a temporary directory):
  1. the 10 MB file of issue 13 (`x,y` 2.6 million times), then the same rows under known headings: seconds to
     the refusal and peak Python memory (tracemalloc);
  2. a file of --grids grids imported as a job (202): seconds to `succeeded`, and meanwhile GET /v1/grids and
     /readyz on other threads: their worst latency (they never take the write lock).
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from werkzeug.test import EnvironBuilder

from wangge_common.testing import ServiceHarness
from roster.app import create_app
from roster.service import SPEC


def upload(svc, what: str, content: bytes, filename: str):
    builder = EnvironBuilder(path=f"/v1/imports/{what}", method="POST", headers=svc.headers(),
                             data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")
    environ = builder.get_environ()
    try:
        return svc.client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def refusal(svc, label: str, content: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    response = upload(svc, "deputies", content, "deputies.csv")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label:<44} {response.status_code}  {elapsed:6.2f} s  peak {peak / 2**20:6.1f} MiB  "
          f"({len(content) / 2**20:.1f} MiB file)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, default=20000, help="grids in the large file (default 20000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        svc = ServiceHarness(SPEC, create_app, Path(tmp))
        try:
            print("hostile files (issue 13.4: took a worker for 21 minutes and 2.7 GB before):")
            refusal(svc, "x,y x 2.6 million (unknown headings)", b"x,y\n" * 2_600_000)
            refusal(svc, "name,gender + x,y x 2.6 million (row limit)", b"name,gender\n" + b"x,y\n" * 2_600_000)
            header = "code,name,level,parent_code,kind,households,population,difficulty,leader,workers\n"
            content = (header + "".join(f"B{i:06d},网格{i},1,,rural_village,0,0,1,,\n"
                                        for i in range(args.grids))).encode()
            waits: dict[str, list[float]] = {"/v1/grids": [], "/readyz": []}
            done = threading.Event()

            def reader(path: str) -> None:
                while not done.is_set():
                    started = time.perf_counter()
                    svc.client.get(path, headers=svc.headers())
                    waits[path].append(time.perf_counter() - started)
                    time.sleep(0.02)

            started = time.perf_counter()
            response = upload(svc, "grids", content, "grids.csv")
            accepted = time.perf_counter() - started
            readers = [threading.Thread(target=reader, args=(p,)) for p in waits]
            for r in readers:
                r.start()
            location = response.headers["Location"]
            while True:
                job = svc.client.get(location, headers=svc.headers()).json
                if job["status"] in ("succeeded", "failed"):
                    break
                time.sleep(0.1)
            total = time.perf_counter() - started
            done.set()
            for r in readers:
                r.join()
            print(f"large import: {args.grids} grids, {len(content) / 2**20:.1f} MiB: 202 after {accepted:.2f} s, "
                  f"{job['status']} after {total:.1f} s ({job['created']} created, {args.grids / total:.0f} rows/s)")
            for path, seen in waits.items():
                seen.sort()
                print(f"  {path:<10} while it ran: {len(seen)} reads, median {seen[len(seen) // 2] * 1000:.1f} ms, "
                      f"worst {seen[-1] * 1000:.1f} ms")
        finally:
            svc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
