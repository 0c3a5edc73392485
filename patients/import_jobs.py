"""CSV imports run by a worker: the upload is stored with its job, a Celery task imports it (all or
nothing, as in the request), and the import page follows its progress.

Files up to ``PATIENTS_IMPORT_BACKGROUND_BYTES`` are still imported while the coordinator waits:
the answer comes in a second or two. Larger ones (up to ``PATIENTS_IMPORT_MAX_BYTES``) would hold a
web worker for a minute: they become jobs.
"""

from __future__ import annotations

import io
import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.importer import ImportRejected, csv_rows, episodes_import
from patients.models import ImportJob
from programmes import rls
from programmes.csvio import CsvRejected
from programmes.models import Programme

logger = logging.getLogger(__name__)
PROGRESS_SECONDS = 24 * 3600


def progress_key(job_id: int) -> str:
    return f"patients:import-progress:{job_id}"


def import_job_progress(job: ImportJob) -> int:
    """Rows checked so far (kept in the cache: the job's own row changes only when it ends)."""
    if job.state == ImportJob.State.DONE:
        return job.rows_expected
    return int(cache.get(progress_key(job.pk)) or 0)


@rls.scoped_to(lambda programme, **_: programme.pk)
def import_job_create(*, programme: Programme, actor, filename: str, content: bytes) -> ImportJob:
    """Store the upload and ask a worker to import it; if no worker can be asked (the broker is
    down), import it here and now, as a small file would be."""
    job = ImportJob.objects.create(
        programme=programme,
        requested_by=actor,
        filename=filename[:255],
        size=len(content),
        rows_expected=max(content.count(b"\n") - (1 if content.endswith(b"\n") else 0), 0),
        content=content,
    )
    transaction.on_commit(lambda: _enqueue(programme.pk, job.pk))
    return job


def _enqueue(programme_id: int, job_id: int) -> None:
    from patients.tasks import run_import

    try:
        run_import.apply_async(args=[programme_id, job_id], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: run it in this process instead
        logger.warning("could not queue import job %s; running it in the request", job_id)
        import_job_run(programme_id=programme_id, job_id=job_id)


def import_job_run(*, programme_id: int, job_id: int) -> str:
    """Run one job (the task's body). Idempotent: a job delivered again after its worker died runs
    again from the start (the killed transaction wrote nothing); a finished job is left alone."""
    with rls.programme_scope(programme_id):
        job = ImportJob.objects.for_programme(programme_id).select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return job.state if job else "missing"
        job.state = ImportJob.State.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["state", "started_at"])
    cache.set(progress_key(job_id), 0, PROGRESS_SECONDS)
    try:
        with rls.programme_scope(programme_id):
            job = (
                ImportJob.objects.for_programme(programme_id).select_related("programme", "requested_by").get(pk=job_id)
            )
            counts = episodes_import(
                programme=job.programme,
                rows=csv_rows(io.BytesIO(bytes(job.content))),
                actor=job.requested_by,
                source="upload",
                progress=lambda rows: cache.set(progress_key(job_id), rows, PROGRESS_SECONDS),
            )
            # In the import's own transaction: the episodes and "imported" are stored together.
            _finish(job, ImportJob.State.DONE, counts=counts.as_dict())
    except (ImportRejected, CsvRejected) as exc:
        return _finish_apart(
            programme_id,
            job_id,
            ImportJob.State.REJECTED,
            errors=[[e.row, e.column, str(e.message)] for e in exc.errors],
            total_errors=exc.total,
        )
    except Exception as exc:
        logger.exception("import job %s stopped", job_id)
        return _finish_apart(
            programme_id,
            job_id,
            ImportJob.State.FAILED,
            failure=_("The import stopped (%(error)s). Nothing was written; import the file again.")
            % {"error": type(exc).__name__},
        )
    return ImportJob.State.DONE


def _finish(job: ImportJob, state: str, **fields) -> None:
    job.state = state
    job.finished_at = timezone.now()
    job.content = b""  # the rows are in the registry now, or were refused: the file is not kept
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()


def _finish_apart(programme_id: int, job_id: int, state: str, **fields) -> str:
    with rls.programme_scope(programme_id):
        job = ImportJob.objects.for_programme(programme_id).select_for_update().get(pk=job_id)
        _finish(job, state, **fields)
    return state
