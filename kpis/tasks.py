"""Thin Celery tasks: ids in, one service call. Idempotent (upserts), retried with backoff."""

import logging

from celery import shared_task
from django.db import OperationalError

from kpis import services
from programmes.models import Programme

logger = logging.getLogger(__name__)
RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_kwargs": {"max_retries": 8},
}


@shared_task(name="kpis.recompute_programme", soft_time_limit=120, time_limit=180, **RETRY)
def recompute_programme(programme_id: int) -> int:
    """Recompute one programme; if its data changed again meanwhile, queue another pass."""
    from django.core.cache import cache

    cache.delete(services.recompute_queued_key(programme_id))  # edits from now on queue a new pass
    stored = services.results_recompute(programme_ids=[programme_id])
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is not None and services.is_stale(programme):
        services.schedule_recompute(programme_id)
    return stored


@shared_task(name="kpis.sweep_stale", soft_time_limit=600, time_limit=660, **RETRY)
def sweep_stale() -> int:
    """Every minute: recompute, in one set-based pass, every programme whose data changed since its
    figures were computed (edits made while the broker was down, missed requests)."""
    stale = services.stale_programme_ids()
    if stale:
        services.results_recompute(programme_ids=stale)
    return len(stale)


@shared_task(name="kpis.recompute_all", soft_time_limit=1800, time_limit=1900, **RETRY)
def recompute_all() -> int:
    """Every hour: windows mature as days pass even without edits, so every programme whose own
    date has moved on (its local midnight passed: accounts/clock.py) is recomputed for its new
    date, all at once (one query per KPI set and date, not a task per programme). Returns how many."""
    due = services.programmes_on_a_new_day()
    if not due:
        return 0
    everyone = len(due) == Programme.objects.count()
    services.results_recompute(programme_ids=None if everyone else due)
    return len(due)


@shared_task(name="kpis.render_report", soft_time_limit=300, time_limit=360, **RETRY)
def render_report(report_id: int) -> str:
    from kpis.reports import report_render

    return report_render(report_id=report_id)
