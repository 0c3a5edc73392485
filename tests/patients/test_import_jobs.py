"""Large CSV imports run on a Celery worker, with a progress page; small ones stay in the request."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from patients import import_jobs, importer
from patients.models import Episode, ImportJob
from programmes.models import AccessEvent
from programmes.rls import programme_scope
from tests.conftest import client_for
from tests.patients.test_import import csv_text, rows


@pytest.fixture
def small_threshold(settings):
    settings.PATIENTS_IMPORT_BACKGROUND_BYTES = 1000
    return settings


def post(client, programme, text, name="big.csv"):
    return client.post(
        f"/p/{programme.slug}/import/", {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")}
    )


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Send a file as the import form does; the job is queued once the request's transaction commits
    (the test's own transaction never does: its commit callbacks are run here)."""

    def send(client, programme, text, name="big.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            return post(client, programme, text, name)

    return send


def test_a_large_file_becomes_a_job_whose_page_shows_the_outcome(programme, coordinator, small_threshold, upload):
    client = client_for(coordinator)
    response = upload(client, programme, csv_text(rows(40)))
    with programme_scope(programme.pk):
        job = ImportJob.objects.for_programme(programme).get()
        assert response.status_code == 302
        assert response["Location"] == f"/p/{programme.slug}/import/jobs/{job.pk}/"
        # Without a broker (tests, `make run`) the task ran at once; a worker is tested below.
        assert job.state == ImportJob.State.DONE
        assert job.counts == {"created": 40, "updated": 0, "unchanged": 0}
        assert job.rows_expected == 40
        assert bytes(job.content) == b""  # the uploaded rows are not kept once imported
        assert Episode.objects.for_programme(programme).count() == 40
    page = client.get(response["Location"]).content.decode()
    assert "big.csv imported: 40 episodes added, 0 updated, 0 unchanged." in page
    assert "hx-trigger" not in page  # finished: no more polling
    with programme_scope(programme.pk):
        assert AccessEvent.objects.filter(programme=programme, action=AccessEvent.Action.IMPORTED).count() == 1
    assert "big.csv" in client.get(f"/p/{programme.slug}/import/").content.decode()  # listed as recent


def test_a_small_file_is_still_imported_while_the_coordinator_waits(programme, coordinator, small_threshold, upload):
    response = upload(client_for(coordinator), programme, csv_text(rows(2)))
    assert response["Location"] == f"/p/{programme.slug}/episodes/"
    with programme_scope(programme.pk):
        assert not ImportJob.objects.for_programme(programme).exists()


def test_a_rejected_job_lists_its_problems_and_writes_nothing(programme, coordinator, small_threshold, upload):
    bad = rows(40)
    bad[7]["sex"] = "w"
    bad[30]["sex"] = "x"
    client = client_for(coordinator)
    response = upload(client, programme, csv_text(bad))
    with programme_scope(programme.pk):
        job = ImportJob.objects.for_programme(programme).get()
        assert job.state == ImportJob.State.REJECTED
        assert job.total_errors == 2
        assert [e[0] for e in job.errors] == [9, 32]
        assert bytes(job.content) == b""
        assert not Episode.objects.for_programme(programme).exists()
    page = client.get(response["Location"]).content.decode()
    assert "big.csv was not imported: 2 problems. Nothing was written." in page
    assert "<td>9</td><td>sex</td>" in page


def test_progress_is_reported_chunk_by_chunk_while_it_runs(
    programme, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 10)
    seen = []
    real_set = cache.set

    def spy(key, value, *args, **kwargs):
        if key.startswith("patients:import-progress:"):
            seen.append(value)
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(import_jobs.cache, "set", spy)
    with django_capture_on_commit_callbacks(execute=True):
        job = import_jobs.import_job_create(
            programme=programme, actor=coordinator, filename="f.csv", content=csv_text(rows(35)).encode()
        )
    with programme_scope(programme.pk):
        job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert seen == [0, 10, 20, 30, 35]
    assert import_jobs.import_job_progress(job) == 35


def test_a_running_job_page_polls_and_shows_how_far_it_got(programme, coordinator):
    from programmes import rls

    with rls.programme_scope(programme.pk):
        job = ImportJob.objects.create(
            programme=programme,
            requested_by=coordinator,
            filename="f.csv",
            size=10,
            rows_expected=12000,
            content=b"x",
            state=ImportJob.State.RUNNING,
        )
    cache.set(import_jobs.progress_key(job.pk), 5000)
    client = client_for(coordinator)
    page = client.get(f"/p/{programme.slug}/import/jobs/{job.pk}/").content.decode()
    assert "Checking and importing: 5,000 of about 12,000 rows." in page
    assert 'value="5000"' in page and 'max="12000"' in page
    fragment = client.get(f"/p/{programme.slug}/import/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "<h1>" not in fragment


def test_a_finished_job_is_not_run_again(programme, coordinator, small_threshold, upload):
    upload(client_for(coordinator), programme, csv_text(rows(40)))
    with programme_scope(programme.pk):
        job = ImportJob.objects.for_programme(programme).get()
    assert import_jobs.import_job_run(programme_id=programme.pk, job_id=job.pk) == "done"
    with programme_scope(programme.pk):
        assert AccessEvent.objects.filter(programme=programme, action=AccessEvent.Action.IMPORTED).count() == 1


def test_another_programme_and_a_viewer_never_see_a_job(
    programme, other_programme, coordinator, viewer, make_member, small_threshold, upload
):
    upload(client_for(coordinator), programme, csv_text(rows(40)))
    with programme_scope(programme.pk):
        job = ImportJob.objects.for_programme(programme).get()
    outsider = make_member(other_programme, "coordinator")
    assert client_for(outsider).get(f"/p/{other_programme.slug}/import/jobs/{job.pk}/").status_code == 404
    assert client_for(outsider).get(f"/p/{programme.slug}/import/jobs/{job.pk}/").status_code in (403, 404)
    assert client_for(viewer).get(f"/p/{programme.slug}/import/jobs/{job.pk}/").status_code == 403
    assert "big.csv" not in client_for(outsider).get(f"/p/{other_programme.slug}/import/").content.decode()


@pytest.mark.worker
def test_a_real_worker_imports_a_large_file_while_the_page_follows(
    programme, coordinator, celery_worker_process, app_broker, redis_url, settings
):
    """The request only stores the file and queues the job; a separate worker process imports it."""
    import time

    process, log = celery_worker_process
    app_broker(redis_url)
    settings.PATIENTS_IMPORT_BACKGROUND_BYTES = 1000
    client = client_for(coordinator)
    response = post(client, programme, csv_text(rows(12000)))
    with programme_scope(programme.pk):
        job = ImportJob.objects.for_programme(programme).get()
    assert job.state in (ImportJob.State.QUEUED, ImportJob.State.RUNNING)
    states = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # The page first, the job after: the page keeps polling until the job has finished, and
        # stops only once it has (the job may finish between the two reads, never the other way).
        page = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
        with programme_scope(programme.pk):
            job.refresh_from_db()
        states.add(job.state)
        if "hx-trigger" not in page:
            assert job.finished, page
            break
        time.sleep(0.2)
    assert job.state == ImportJob.State.DONE, log.read_text()
    assert job.counts["created"] == 12000
    with programme_scope(programme.pk):
        assert Episode.objects.for_programme(programme).count() == 12000
    assert "episodes added" in page
    assert process.poll() is None
