"""/metrics: Prometheus' text format for the monitoring host only, with the registry's own series;
JSON log lines carrying the request's ids."""

import io
import json
import logging

import pytest
from django.test import Client

from fls_registry.logs import JsonFormatter, RequestContextMiddleware

pytestmark = pytest.mark.django_db

SERIES = (
    "fls_http_requests_total",
    "fls_http_request_duration_seconds",
    "fls_celery_queue_length",
    "fls_kpi_stale_programmes",
    "fls_kpi_recompute_failures_total",
    "fls_import_jobs",
    "fls_case_finding_records_total",
)


def scrape(**extra) -> tuple[int, str]:
    response = Client().get("/metrics", **extra)
    return response.status_code, response.content.decode()


def value(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " ") or line.startswith(series + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} not in the answer")


def test_loopback_gets_every_series():
    Client().get("/healthz")
    Client().get("/")
    status, text = scrape()
    assert status == 200
    for series in SERIES:
        assert f"\n{series}" in "\n" + text, series
    assert 'fls_http_requests_total{method="GET",status="200",view="home"}' in text


def test_another_address_is_refused_unless_it_brings_the_token(settings):
    assert scrape(REMOTE_ADDR="10.20.30.40")[0] == 403
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    assert scrape(REMOTE_ADDR="10.20.30.40", HTTP_AUTHORIZATION="Bearer wrong")[0] == 403
    assert scrape(REMOTE_ADDR="10.20.30.40", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")[0] == 200


def test_the_registry_series_count_what_is_stored(programme, tmp_path):
    from casefinding.services import cases_find
    from kpis.models import KpiState
    from patients.models import ImportJob
    from programmes import rls
    from tests.casefinding.samples import Case, csv_feed

    with rls.programme_scope(programme.pk):
        ImportJob.objects.create(programme=programme, filename="a.csv", size=1, content=b"x")
    cases_find(
        programme=programme,
        content=csv_feed([Case(f"m{n}", f"P{n}", "1940-01-01", "2026-01-05", ["S72.0"]) for n in range(3)]),
    )
    KpiState.objects.update_or_create(programme=programme, defaults={"failures": 2})
    from programmes.services import programme_mark_data_changed

    programme_mark_data_changed(programme=programme)
    _status, text = scrape()
    assert 'fls_import_jobs{state="queued"} 1.0' in text
    assert value(text, "fls_case_finding_records_total") == 3
    assert value(text, "fls_kpi_recompute_failures_total") == 2
    assert value(text, "fls_kpi_stale_programmes") == 1


def test_a_failed_recompute_is_counted(programme, monkeypatch):
    from kpis import services
    from kpis.models import KpiState
    from programmes.services import programme_mark_data_changed

    programme_mark_data_changed(programme=programme)

    def broken(*args, **kwargs):
        raise RuntimeError("the engine failed")

    monkeypatch.setattr(services, "_store_batch", broken)
    services.results_recompute(programme_ids=[programme.pk])
    services.results_recompute(programme_ids=[programme.pk])
    state = KpiState.objects.get(programme=programme)
    assert state.failed_at is not None and state.failures == 2


def test_queue_lengths_come_from_the_broker(settings, redis_url):
    import redis

    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in production: a worker takes the tasks
    from fls_registry.metrics import redis_py_url

    client = redis.Redis.from_url(redis_py_url(redis_url))
    client.delete("kpis")
    client.lpush("kpis", "a", "b")
    try:
        _status, text = scrape()
        assert 'fls_celery_queue_length{queue="kpis"} 2.0' in text
    finally:
        client.delete("kpis")


def test_json_log_lines_carry_the_request_ids_and_nothing_else(rf, programme, coordinator):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fls_registry.test")
    logger.addHandler(handler)

    def view(request):
        logger.warning("something happened")
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = rf.get("/p/x/", HTTP_X_REQUEST_ID="req-12345678")
    request._cached_user = coordinator
    request.programme_access = type("Access", (), {"programme": programme})()
    try:
        response = RequestContextMiddleware(view)(request)
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().strip())
    assert response["X-Request-ID"] == "req-12345678"
    assert (line["request_id"], line["user_id"], line["programme_id"]) == ("req-12345678", coordinator.pk, programme.pk)
    assert set(line) == {"time", "level", "logger", "message", "request_id", "user_id", "programme_id"}


@pytest.mark.faults
def test_gunicorn_processes_add_up_their_requests(transactional_db, tmp_path):
    """Several gunicorn processes, one answer: the request counts of every process (multiprocess mode)."""
    import os
    import subprocess
    import sys
    import time

    import requests
    from django.conf import settings

    from tests.conftest import database_url_of
    from tests.fls_registry.test_database_restart import Relay
    from tests.fls_registry.test_settings import ROOT

    port = Relay._free_port()
    (tmp_path / "prometheus").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DATABASE_URL=database_url_of(settings.DATABASES["default"]),
        DJANGO_DEBUG="false",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "fls_registry.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.RequestException:  # not up yet, or up and still busy starting
                time.sleep(0.2)
        hits = 30
        for _ in range(hits):
            assert requests.get(base + "/", timeout=10).status_code == 200
        text = requests.get(base + "/metrics", timeout=10).text
        assert value(text, 'fls_http_requests_total{method="GET",status="200",view="home"}') == hits
        pids = {path.name.rsplit("_", 1)[-1] for path in (tmp_path / "prometheus").glob("counter_*.db")}
        assert len(pids) > 1, "the requests should have been spread over several processes"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_grafana_dashboard_reads_only_series_that_metrics_serves():
    import re

    from tests.fls_registry.test_settings import ROOT

    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    Client().get("/")  # a request, so that the request series have samples
    _status, text = scrape()
    served = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line.startswith("fls_")}
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used |= set(re.findall(r"\bfls_[a-z_]+", target["expr"]))
    assert used and used <= served, used - served
    assert {"fls_celery_queue_length", "fls_kpi_stale_programmes", "fls_kpi_recompute_failures_total",
            "fls_import_jobs", "fls_case_finding_records_total", "fls_http_requests_total"} <= used  # fmt: skip
