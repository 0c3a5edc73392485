import time
from datetime import date

import pytest
from django.core.cache import cache

from kpis import services
from kpis.models import KpiResult, KpiState
from kpis.tasks import sweep_stale
from patients import services as patient_services
from programmes.models import Programme
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


def test_recompute_is_all_or_nothing(programme, other_programme, make_episode):
    make_episode(programme)
    Programme.objects.filter(pk=other_programme.pk).update(kpi_set="no-such-set")
    with pytest.raises(ValueError, match="unknown KPI set"):
        services.results_recompute(programme_ids=[programme.pk, other_programme.pk])
    assert not KpiResult.objects.all_programmes().exists()


def test_an_edit_marks_the_programme_stale_until_recomputed(programme, coordinator, make_episode):
    episode = make_episode(programme, coordinator)
    services.results_recompute(programme_ids=[programme.pk])
    assert not stale(programme)
    Programme.objects.filter(pk=programme.pk).update(data_changed_at=None)
    patient_services.programme_lock(programme.pk)
    from programmes.services import programme_mark_data_changed

    programme_mark_data_changed(programme=programme)
    assert stale(programme)
    assert episode.pk in services.stale_programme_ids() or programme.pk in services.stale_programme_ids()


def test_with_the_broker_down_edits_save_and_the_sweep_catches_up(
    programme, coordinator, app_broker, django_capture_on_commit_callbacks
):
    app_broker("redis://127.0.0.1:1/0")  # nothing listens there
    cache.clear()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        episode = patient_services.episode_create(programme=programme, actor=coordinator, values=valid_values())
    assert time.monotonic() - started < 5
    assert episode.pk is not None
    assert stale(programme)
    assert not KpiResult.objects.for_programme(programme).exists()
    assert sweep_stale() == 1  # the broker is back: beat's periodic sweep runs
    assert not stale(programme)
    result = KpiResult.objects.for_programme(programme).get(period_kind="rolling12")
    assert result.episodes == 1


@pytest.mark.worker
def test_a_thousand_edits_cause_a_handful_of_recomputes_by_a_real_worker(
    programme, coordinator, celery_worker_process, app_broker, redis_url
):
    import re

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
    while edits < 1000:
        for episode in Episode.objects.for_programme(programme):
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

    def finished_runs(text):
        received = len(re.findall(r"Task kpis\.recompute_programme\[[^\]]+\] received", text))
        succeeded = len(re.findall(r"Task kpis\.recompute_programme\[[^\]]+\] succeeded", text))
        return received, succeeded

    # Done when the figures are current and every run the worker received has logged its end
    # (the log line comes just after the task's transaction commits).
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        received, succeeded = finished_runs(log.read_text())
        if not stale(programme) and succeeded and received == succeeded:
            break
        time.sleep(0.5)
    text = log.read_text()
    assert not stale(programme), text
    received, runs = finished_runs(text)
    assert 1 <= runs <= 6, text
    assert KpiResult.objects.for_programme(programme).get(period_kind="rolling12").episodes == 40
    assert KpiState.objects.get(programme=programme).computed_at is not None
