"""Thin Celery tasks: one service call each."""

from celery import shared_task

from casefinding import services


@shared_task(name="casefinding.purge_expired", soft_time_limit=600, time_limit=660)
def purge_expired() -> int:
    """Nightly: delete the candidates older than CASE_FINDING_RETENTION_DAYS that never became episodes."""
    return services.candidates_purge()
