import time
from datetime import date

import pytest
from django.core.cache import cache

from kpis import services
from kpis.models import KpiResult, KpiState
from kpis.services import RECOMPUTE_DELAY_SECONDS
from kpis.tasks import sweep_stale
from patients import services as patient_services
from programmes.models import Programme
from programmes.rls import programme_scope
from tests.patients.conftest import valid_values


def stale(programme) -> bool:
    programme.refresh_from_db()
    return services.is_stale(programme)


def test_recompute_stores_every_standard_period_and_is_idempotent(programme, make_episode):
    make_episode(programme)
    as_of = date(2026, 11, 23)
    stored = services.results_recompute(programme_ids=[programme.pk], as_of=as_of)
    assert stored == 14  # 5 years, 8 quarters, the rolling 12 months
    first = list(
        KpiResult.objects.for_programme(programme)
        .order_by("period_start", "period_end")
        .values_list("period_kind", "period_start", "period_end", "episodes", "kpis")
    )
    services.results_recompute(programme_ids=[programme.pk], as_of=as_of)
    again = list(
        KpiResult.objects.for_programme(programme)
        .order_by("period_start", "period_end")
        .values_list("period_kind", "period_start", "period_end", "episodes", "kpis")
    )
    assert again == first
    assert KpiResult.objects.for_programme(programme).filter(period_kind="rolling12").get().period_start == date(
        2025, 11, 24
    )
    assert not stale(programme)


@pytest.mark.parametrize("scope", ["these programmes", "every programme"])
def test_a_programme_whose_recompute_fails_never_stops_the_others(
    programme, other_programme, make_episode, monkeypatch, caplog, scope
):
    from kpis import engine

    make_episode(programme, patient_ref="GOOD")
    make_episode(other_programme, patient_ref="BROKEN")
    real_compute = engine.compute

    def compute(*, programme_ids=None, **kwargs):
        if programme_ids is None or other_programme.pk in programme_ids:
            raise ZeroDivisionError("a fault in this programme's figures")
        return real_compute(programme_ids=programme_ids, **kwargs)

    monkeypatch.setattr(services, "compute", compute)
    ids = [programme.pk, other_programme.pk] if scope == "these programmes" else None
    stored = services.results_recompute(programme_ids=ids)
    assert stored == 14
    assert KpiResult.objects.for_programme(programme).get(period_kind="rolling12").episodes == 1
    assert not KpiResult.objects.for_programme(other_programme).exists()
    broken = KpiState.objects.get(programme=other_programme)
    assert broken.failed_at is not None and broken.computed_at is None
    assert broken.error == "ZeroDivisionError: a fault in this programme's figures"
    assert f"KPI recompute failed for programme {other_programme.pk}" in caplog.text
    assert not stale(programme) and stale(other_programme)  # the sweep tries the broken one again

    monkeypatch.setattr(services, "compute", real_compute)
    services.results_recompute(programme_ids=[other_programme.pk])
    mended = KpiState.objects.get(programme=other_programme)
    assert (mended.failed_at, mended.error) == (None, "")
    assert not stale(other_programme)


def test_the_database_refuses_a_kpi_set_that_is_not_defined(programme):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError, match="programme_kpi_set_defined"):
        Programme.objects.filter(pk=programme.pk).update(kpi_set="no-such-set")


def test_the_dashboard_says_when_the_last_recompute_failed(programme, coordinator, make_episode, login):
    make_episode(programme, coordinator)
    services.results_recompute(programme_ids=[programme.pk])
    KpiState.objects.filter(programme=programme).update(failed_at="2026-11-20T03:00:00Z", error="boom")
    page = login(coordinator).get(f"/p/{programme.slug}/kpis/").content.decode()
    assert "The last recompute of these figures failed (2026-11-20 03:00)" in page


def test_an_edit_marks_the_programme_stale_until_recomputed(programme, coordinator, make_episode):
    episode = make_episode(programme, coordinator)
    services.results_recompute(programme_ids=[programme.pk])
    assert not stale(programme)
    Programme.objects.filter(pk=programme.pk).update(data_changed_at=None)
    patient_services.programme_lock(programme.pk)
    from programmes.services import programme_mark_data_changed

    programme_mark_data_changed(programme=programme)
    assert stale(programme)
    assert services.stale_programme_ids() == [programme.pk]
    assert episode.programme_id == programme.pk


def test_with_the_broker_down_edits_save_and_the_sweep_catches_up(
    programme, coordinator, app_broker, django_capture_on_commit_callbacks, caplog
):
    app_broker("redis://127.0.0.1:1/0")  # nothing listens there
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        episode = patient_services.episode_create(programme=programme, actor=coordinator, values=valid_values())
    assert f"could not queue a KPI recompute for programme {programme.pk}" in caplog.text
    assert episode.pk is not None
    assert stale(programme)
    assert not KpiResult.objects.for_programme(programme).exists()
    assert sweep_stale() == 1  # the broker is back: beat's periodic sweep runs
    assert not stale(programme)
    result = KpiResult.objects.for_programme(programme).get(period_kind="rolling12")
    assert result.episodes == 1


@pytest.mark.worker
def test_a_thousand_edits_cause_a_handful_of_recomputes_by_a_real_worker(
    programme, coordinator, celery_worker_process, task_events, app_broker, redis_url
):
    from kpis.tasks import recompute_programme
    from patients.models import Episode

    process, log = celery_worker_process
    app_broker(redis_url)
    cache.clear()
    episodes = [
        patient_services.episode_create(
            programme=programme, actor=coordinator, values=valid_values(patient_ref=f"C{n:03d}")
        )
        for n in range(40)
    ]
    edits = len(episodes)
    started = time.monotonic()
    while edits < 1000:
        with programme_scope(programme.pk):
            stored = list(Episode.objects.for_programme(programme))
        for episode in stored:
            if edits >= 1000:
                break
            patient_services.episode_update(
                episode=episode,
                actor=coordinator,
                expected_version=episode.version,
                values={"falls_assessment": "yes" if edits % 2 else "no"},
                partial=True,
            )
            edits += 1
    editing = time.monotonic() - started

    def settled():
        # The figures are current and every run the worker received has ended.
        received = task_events.count("received", recompute_programme.name)
        return (
            received and task_events.count("succeeded", recompute_programme.name) == received and not stale(programme)
        )

    assert task_events.wait_for(settled, timeout=90), log.read_text()
    assert process.poll() is None, log.read_text()
    runs = task_events.count("succeeded", recompute_programme.name)
    # At most one run per delay while the edits went on (each run's own edits queue the next), and
    # the last edits' run: a thousand edits never make a thousand runs.
    assert 1 <= runs <= editing / RECOMPUTE_DELAY_SECONDS + 3, (runs, editing, log.read_text())
    assert runs < 100
    assert task_events.count("failed", recompute_programme.name) == 0
    assert KpiResult.objects.for_programme(programme).get(period_kind="rolling12").episodes == 40
    assert KpiState.objects.get(programme=programme).computed_at is not None
