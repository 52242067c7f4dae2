"""Import jobs: a large import runs outside the request, checked on a read session, written in chunks.

Each chunk is one short transaction (the write lock is taken and released per chunk), so other writers and every
reader keep being served while a county's spreadsheet goes in. The job row records its progress; a job whose
process died stops being refreshed and is reported as interrupted.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid

from flask import current_app

from wangge_common.clock import now
from wangge_common.errors import DomainError

from ..models import ImportJob
from ..settings import ImportLimits
from ..spreadsheets import TimeLimit, TooLarge
from . import transfer


log = logging.getLogger(__name__)
ERRORS_KEPT = 1000  # row errors a job keeps (the count of all of them is kept too)


def limits(runtime) -> ImportLimits:
    return runtime.state.settings.import_limits


def start(runtime, *, what: str, filename: str, rows: list, import_valid_rows: bool, actor: str,
          clock: TimeLimit) -> ImportJob:
    """Record a job and run it on a thread of this process; returns the job as recorded."""
    job = ImportJob(id=str(uuid.uuid4()), what=what, filename=(filename or "")[:200],
                    import_valid_rows=import_valid_rows, actor=actor, status="queued", rows=len(rows),
                    rows_written=0, created=0, updated=0, invalid_rows=0, errors=[], errors_total=0,
                    created_at=now())
    with runtime.db.transaction() as session:
        session.add(job)
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run, args=(app, job.id, rows, clock), name=f"import-{job.id[:8]}", daemon=True)
    thread.start()
    runtime.state.import_threads[job.id] = thread
    return job



class _Refused(Exception):
    def __init__(self, errors: list):
        super().__init__("a row was refused while writing")
        self.errors = errors


def _run(app, job_id: str, rows: list, clock: TimeLimit) -> None:
    with app.app_context():
        runtime = app.extensions["wangge_runtime"]
        job_limits = limits(runtime)
        try:
            _work(runtime, job_id, rows, clock, job_limits)
        except TooLarge as exc:
            _finish(runtime, job_id, "failed", exc.detail)
        except Exception:  # noqa: BLE001 - the job records the failure; the process goes on serving
            log.exception("import job failed", extra={"job_id": job_id})
            _finish(runtime, job_id, "failed", "the import stopped on an unexpected error; it has been logged")


def _update(runtime, job_id: str, **values) -> ImportJob:
    with runtime.db.transaction() as session:
        job = session.get(ImportJob, job_id)
        for name, value in values.items():
            setattr(job, name, value)
        job.heartbeat_at = now()
        return job


def _finish(runtime, job_id: str, status: str, detail: str | None) -> None:
    _update(runtime, job_id, status=status, detail=detail, finished_at=now())


def _keep(errors: list) -> list:
    return sorted(errors, key=lambda e: e["row"])[:ERRORS_KEPT]


def _work(runtime, job_id: str, rows: list, clock: TimeLimit, job_limits: ImportLimits) -> None:
    job = _update(runtime, job_id, status="checking", started_at=now())
    with runtime.db.reads() as session:  # checking reads only: no write lock while every row is validated
        plan = transfer.PLANNERS[job.what](session, rows, clock)
    bad = {e["row"] for e in plan.errors}
    _update(runtime, job_id, status="writing", invalid_rows=len(bad), errors=_keep(plan.errors),
            errors_total=len(plan.errors))
    try:
        transfer.refuse_if_invalid(plan, job.import_valid_rows)
    except DomainError as exc:
        _finish(runtime, job_id, "failed", exc.detail)
        return
    errors, created, updated, written = list(plan.errors), 0, 0, 0
    size = job_limits.chunk_rows
    for start in range(0, len(plan.items), size):
        clock.check("the import")
        chunk = plan.items[start:start + size]
        try:
            with runtime.unit_of_work(actor=job.actor) as uow:
                made, changed, refused = transfer.WRITERS[job.what](uow, plan, chunk)
                if refused and not job.import_valid_rows:
                    raise _Refused(refused)  # this chunk rolls back; earlier chunks stay imported
                written += len(chunk)
                created, updated = created + made, updated + changed
                errors += refused
                job_row = uow.session.get(ImportJob, job_id)
                job_row.rows_written, job_row.created, job_row.updated = written, created, updated
                job_row.errors, job_row.errors_total = _keep(errors), len(errors)
                job_row.invalid_rows = len({e["row"] for e in errors})
                job_row.heartbeat_at = now()
        except _Refused as refusal:
            errors += refusal.errors
            _update(runtime, job_id, errors=_keep(errors), errors_total=len(errors),
                    invalid_rows=len({e["row"] for e in errors}))
            _finish(runtime, job_id, "failed",
                    f"a rule refused a row while writing; the {written} rows before its chunk were imported (grids "
                    "are matched by code and deputies by id, so sending the fixed file again updates them; rows of "
                    "new deputies without an id would be registered twice: remove them first)")
            return
        time.sleep(0)  # let request threads of this process run between chunks
    _finish(runtime, job_id, "succeeded", None)
