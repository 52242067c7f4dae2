"""Imports within limits: a hostile file is refused at once, a large one runs as a job written in chunks, and
readers are served while a writer holds the write lock."""
import dataclasses
import io
import threading
import time
import zipfile

import pytest
from openpyxl import Workbook

from roster import spreadsheets
from roster.api import transfer as api_transfer
from .test_transfer import upload, wait_for_job

GRID_HEADER = "code,name,level,parent_code,kind,households,population,difficulty,leader,workers\n"


def limit(svc, **changes):
    state = svc.runtime.state
    state.settings = dataclasses.replace(
        state.settings, import_limits=dataclasses.replace(state.settings.import_limits, **changes))


def grids_csv(count: int, start: int = 0) -> bytes:
    return (GRID_HEADER + "".join(f"G{i:05d},网格{i},1,,rural_village,0,0,1,,\n"
                                  for i in range(start, start + count))).encode()


def test_the_hostile_file_of_the_report_is_refused_without_reading_it_all(svc):
    hostile = b"x,y\n" * 2_600_000  # 10 MB: two unknown headings and 2.6 million rows
    response = upload(svc, "deputies", hostile, "deputies.csv")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "none of the headings" in response.json["errors"][0]["reason"]
    # the same rows under known headings: stopped at the row limit, which the answer names
    named = b"name,gender\n" + b"x,y\n" * 2_600_000
    response = upload(svc, "deputies", named, "deputies.csv")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "WANGGE_ROSTER_IMPORT_MAX_ROWS" in response.json["detail"] and "50000" in response.json["detail"]
    assert response.json["errors"] == [{"field": "file", "reason": "over the limit of 50000 (max_rows)"}]
    assert svc.outbox() == []


def test_rows_columns_cells_and_bytes_are_bounded_and_named(svc):
    limit(svc, max_rows=10, max_columns=12, max_cell_chars=50, max_bytes=4096)
    rows = upload(svc, "grids", grids_csv(11), "grids.csv")
    assert rows.status_code == 413 and "MAX_ROWS" in rows.json["detail"]
    wide = upload(svc, "grids", (GRID_HEADER + "a," * 20 + "\n").encode(), "grids.csv")
    assert wide.status_code == 413 and "MAX_COLUMNS" in wide.json["detail"]
    one_long_line = upload(svc, "grids", (GRID_HEADER + "," * 3000 + "\n").encode(), "grids.csv")
    assert one_long_line.status_code == 413 and "MAX_COLUMNS" in one_long_line.json["detail"]
    cell = upload(svc, "grids", (GRID_HEADER + "G1," + "长" * 51 + ",1,,rural_village,0,0,1,,\n").encode(),
                  "grids.csv")
    assert cell.status_code == 422 and cell.json["errors"][0]["field"] == "name"
    assert "WANGGE_ROSTER_IMPORT_MAX_CELL_CHARS" in cell.json["errors"][0]["reason"]
    quoted = upload(svc, "grids", (GRID_HEADER + 'G1,"' + "长\n" * 400 + '",1\n').encode(), "grids.csv")
    assert quoted.status_code == 422 and "50 characters" in quoted.json["errors"][0]["reason"]
    big = upload(svc, "grids", grids_csv(9) + b" " * 5000, "grids.csv")
    assert big.status_code == 413 and big.mimetype == "application/problem+json"
    assert "WANGGE_ROSTER_IMPORT_MAX_BYTES" in big.json["detail"]
    assert svc.outbox() == []


def test_a_workbook_that_unzips_too_large_or_too_wide_is_refused(svc):
    limit(svc, max_xlsx_expanded_bytes=200_000, max_columns=12)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 100_000)  # 600 kB of XML, a few kB zipped
    response = upload(svc, "grids", bomb.getvalue(), "grids.xlsx")
    assert response.status_code == 413 and "MAX_XLSX_EXPANDED_BYTES" in response.json["detail"]
    book = Workbook()
    book.active.append(["code", "name"] + [f"c{i}" for i in range(20)])
    out = io.BytesIO()
    book.save(out)
    response = upload(svc, "grids", out.getvalue(), "grids.xlsx")
    assert response.status_code == 413 and "MAX_COLUMNS" in response.json["detail"]


def test_a_large_import_runs_as_a_job_in_chunks_with_progress(svc):
    limit(svc, sync_rows=5, chunk_rows=4)
    response = upload(svc, "grids", grids_csv(30), "grids.csv")
    assert response.status_code == 202 and response.json["status"] == "queued"
    assert response.headers["Location"] == f"/v1/imports/jobs/{response.json['id']}"
    job = wait_for_job(svc, response.headers["Location"])
    assert job["status"] == "succeeded", job
    assert (job["rows"], job["created"], job["rows_written"], job["invalid_rows"]) == (30, 30, 30, 0)
    assert len([e for e in svc.outbox() if e.type == "grid.created"]) == 30
    # committed chunk by chunk: one outbox transaction per four rows (the events' ids are in commit order)
    assert svc.client.get("/v1/grids?page_size=100", headers=svc.headers()).json["total"] == 30
    assert svc.client.get(response.headers["Location"], headers=svc.headers("reader")).status_code == 403
    missing = svc.client.get("/v1/imports/jobs/00000000-0000-4000-8000-000000000000", headers=svc.headers())
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_prefer_respond_async_makes_even_a_small_import_a_job(svc):
    builder_headers = {"Prefer": "respond-async"}
    from werkzeug.test import EnvironBuilder
    builder = EnvironBuilder(path="/v1/imports/grids", method="POST", headers=svc.headers(**builder_headers),
                             data={"file": (io.BytesIO(grids_csv(2)), "g.csv")}, content_type="multipart/form-data")
    response = svc.client.open(builder.get_environ())
    builder.close()
    assert response.status_code == 202
    assert wait_for_job(svc, response.headers["Location"])["created"] == 2


def test_a_job_with_bad_rows_writes_nothing_unless_asked_and_lists_them(svc):
    limit(svc, sync_rows=2, chunk_rows=3)
    content = grids_csv(6) + "BAD,坏行,7,,village,0,0,1,,\n".encode()
    job = wait_for_job(svc, upload(svc, "grids", content, "grids.csv").headers["Location"])
    assert job["status"] == "failed" and "7 行中有 1 行有误" in job["detail"]
    assert {(e["row"], e["field"]) for e in job["errors"]} == {(8, "level"), (8, "kind")}
    assert job["rows_written"] == 0 and svc.outbox() == []
    job = wait_for_job(svc, upload(svc, "grids", content, "grids.csv", import_valid_rows="true").headers["Location"])
    assert (job["status"], job["created"], job["invalid_rows"], job["errors_total"]) == ("succeeded", 6, 1, 2)


def test_a_job_over_its_time_limit_stops_and_says_which_limit(svc, monkeypatch):
    limit(svc, sync_rows=2, max_seconds=5)
    monkeypatch.setattr(api_transfer, "TimeLimit", lambda limits: spreadsheets.TimeLimit(
        limits, started=time.monotonic() - 60))  # as if the file had taken a minute to arrive
    job = wait_for_job(svc, upload(svc, "grids", grids_csv(5), "grids.csv").headers["Location"])
    assert job["status"] == "failed" and "WANGGE_ROSTER_IMPORT_MAX_SECONDS" in job["detail"]
    assert svc.outbox() == []


def test_reads_health_and_readiness_answer_while_a_writer_holds_the_write_lock(svc):
    upload(svc, "grids", grids_csv(3), "grids.csv")
    holding, release = threading.Event(), threading.Event()

    def long_writer():
        with svc.runtime.db.transaction() as session:  # BEGIN IMMEDIATE and the writers' flock, as an import's
            session.execute(svc.runtime.tables.outbox.select().limit(1))
            holding.set()
            release.wait(60)

    writer = threading.Thread(target=long_writer)
    writer.start()
    answers = {}
    try:
        assert holding.wait(30)

        def read(path):
            answers[path] = svc.client.get(path, headers=svc.headers()).status_code

        readers = [threading.Thread(target=read, args=(p,)) for p in
                   ("/v1/grids", "/healthz", "/readyz", "/v1/exports/grids", "/metrics")]
        for r in readers:
            r.start()
        for r in readers:
            r.join(20)  # under the old engine every one of them waited for the writer (and so forever here)
        assert answers.get("/v1/grids") == 200 and answers.get("/healthz") == 200
        assert answers.get("/v1/exports/grids") == 200 and answers.get("/metrics") == 200
        assert answers.get("/readyz") in (200, 503)  # 503 only for the broker, which is absent here
        assert svc.client.get("/readyz").json["checks"]["database"] == "ok"
    finally:
        release.set()
        writer.join(30)


def test_the_read_engine_refuses_writes(svc):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    if svc.runtime.db.dialect != "sqlite":
        pytest.skip("PostgreSQL reads use the one engine: its readers never wait for writers anyway")
    with svc.runtime.db.reads() as session, pytest.raises(OperationalError):
        session.execute(text("DELETE FROM grids"))
