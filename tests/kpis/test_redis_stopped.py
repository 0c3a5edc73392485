"""Redis stopped while coordinators edit: every save succeeds, and the KPIs catch up once Redis is
back (the periodic sweep finds the programmes whose data changed)."""

import socket
import subprocess
import time

import pytest
import redis

from kpis import services
from kpis.models import KpiResult
from kpis.tasks import sweep_stale
from patients import services as patient_services
from tests.patients.conftest import valid_values

pytestmark = pytest.mark.faults


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            if client.ping():
                return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    pytest.skip("redis-server could not be started")


def stale(programme) -> bool:
    programme.refresh_from_db()
    return services.is_stale(programme)


def test_edits_save_while_redis_is_stopped_and_the_kpis_catch_up(
    programme, coordinator, app_broker, django_capture_on_commit_callbacks
):
    port = free_port()
    server = start_redis(port)
    app_broker(f"redis://127.0.0.1:{port}/0")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            patient_services.episode_create(
                programme=programme, actor=coordinator, values=valid_values(patient_ref="UP-1")
            )
        assert redis.Redis(port=port).llen("kpis") >= 1  # queued while Redis ran (no worker here)

        server.terminate()
        server.wait(timeout=10)
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            saved = patient_services.episode_create(
                programme=programme, actor=coordinator, values=valid_values(patient_ref="DOWN-1")
            )
        assert saved.pk is not None
        assert time.monotonic() - started < 15  # the save does not hang on the broker
        assert stale(programme)

        server = start_redis(port)  # Redis is back (empty: what was queued is gone)
        assert sweep_stale() == 1  # beat's periodic sweep
        assert not stale(programme)
        assert KpiResult.objects.for_programme(programme).get(period_kind="rolling12").episodes == 2
    finally:
        server.terminate()
        server.wait(timeout=10)
