"""Writers take turns per programme without stopping readers or the KPI recompute.

Each test holds a real transaction open in a second thread (its own database connection) and acts
in the main thread with a short ``lock_timeout``: waiting on a lock fails the test instead of
hanging it.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from kpis.services import results_recompute
from patients import services
from patients.importer import episodes_import
from tests.patients.conftest import valid_values


@pytest.fixture
def short_lock_timeout(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '3s'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def in_other_thread(work):
    """Run ``work(release)`` in a thread; returns (started, release, thread, errors)."""
    started, release, errors = threading.Event(), threading.Event(), []

    def run():
        try:
            work(started, release)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            started.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(timeout=30)
    return release, thread, errors


def test_an_episode_page_opens_while_an_import_holds_the_programme(programme, coordinator, login, short_lock_timeout):
    episode = services.episode_create(programme=programme, actor=coordinator, values=valid_values())

    def import_that_waits(started, release):
        def rows():
            started.set()  # the import holds the programme's lock from here on
            release.wait(timeout=30)
            yield 2, valid_values(patient_ref="NEW-1"), []

        episodes_import(programme=programme, rows=rows(), parallel=False, source="test")

    release, thread, errors = in_other_thread(import_that_waits)
    try:
        response = login(coordinator).get(f"/p/{programme.slug}/episodes/{episode.pk}/")
        assert response.status_code == 200  # its access-log row needed a key-share lock on the programme
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == []


def test_the_kpi_recompute_commits_while_a_save_holds_the_programme(programme, coordinator, short_lock_timeout):
    """Stored results refer to the programme: their (deferred) foreign-key checks take key-share locks
    when the recompute commits, which a writer's lock must not block."""
    services.episode_create(programme=programme, actor=coordinator, values=valid_values())

    def save_that_waits(started, release):
        with transaction.atomic():
            services.programme_lock(programme.pk)  # as every episode save and import does
            started.set()
            release.wait(timeout=30)

    release, thread, errors = in_other_thread(save_that_waits)
    try:
        # The nightly run: a new day, so new rolling-period rows are inserted (and their keys checked).
        tomorrow = timezone.localdate() + timedelta(days=1)
        assert results_recompute(programme_ids=[programme.pk], as_of=tomorrow) == 14
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == []
