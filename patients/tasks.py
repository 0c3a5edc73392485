"""Thin Celery tasks: ids in, one service call."""

from celery import shared_task

from patients import import_jobs


# A 20 MB file imports in about a minute; the limits leave room on a busy machine and stay far
# below the broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT), so it never runs twice at once.
@shared_task(name="patients.run_import", soft_time_limit=1200, time_limit=1260)
def run_import(programme_id: int, job_id: int) -> str:
    return import_jobs.import_job_run(programme_id=programme_id, job_id=job_id)
