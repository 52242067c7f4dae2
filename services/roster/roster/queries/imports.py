"""Reads of import jobs: a job as recorded, or as interrupted when its process stopped refreshing it."""
from __future__ import annotations

from datetime import timedelta

from wangge_common.clock import now
from wangge_common.errors import NotFound

from ..models import ImportJob

STALE_AFTER = timedelta(minutes=2)  # a running job not refreshed for this long died with its process


def get_job(session, job_id: str) -> ImportJob:
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"no import job {job_id}")
    if job.status in ("queued", "checking", "writing") and job.heartbeat_at is not None \
            and now() - job.heartbeat_at > STALE_AFTER:
        job.status = "interrupted"  # shown, not stored: the rows of committed chunks stay imported
        job.detail = (f"the job stopped being refreshed at {job.heartbeat_at.isoformat()} (its process ended); "
                      f"{job.rows_written} of {job.rows} rows were handled; send the file again")
    return job
