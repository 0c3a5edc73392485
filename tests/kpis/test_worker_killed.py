"""Faults: a Celery worker killed with SIGKILL in the middle of a KPI recompute.

The recompute is held at a known point (its INSERT of the results waits on a table lock this test
holds), the worker is killed there, and the task must be delivered again and store the right
figures. Two ways to die: the pool's child process (the kernel's OOM killer picks the biggest
process, usually the child), after which the parent re-queues the task at once
(``task_reject_on_worker_lost``); and the whole worker, whose unacknowledged message Redis hands
to another worker once the visibility timeout has passed.
"""

import os
import signal
import time

import psycopg
import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from fls_registry.celery import app as celery_app
from kpis import services
from kpis.models import KpiResult, KpiState
from kpis.tasks import recompute_programme
from tests.conftest import database_url_of

pytestmark = [pytest.mark.worker, pytest.mark.faults]

INSERTING_RESULTS = "%INSERT INTO kpis_kpiresult%"


def figures(programme) -> list[tuple]:
    return list(
        KpiResult.objects.for_programme(programme)
        .order_by("period_start", "period_end")
        .values_list("period_kind", "period_start", "period_end", "episodes", "kpis")
    )


def wait_until(condition, timeout: float, what: str, log) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s:\n{log.read_text()}")
        time.sleep(0.1)


def backends_waiting_to_store() -> list[int]:
    """PostgreSQL backends whose INSERT of KPI results waits on a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            [INSERTING_RESULTS],
        )
        return [row[0] for row in cursor.fetchall()]


def pool_children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


@pytest.fixture
def results_locked():
    """Hold a lock that makes every INSERT into the KPI results wait until ``release()``."""
    holder = psycopg.connect(database_url_of(connection.settings_dict))
    holder.execute("LOCK TABLE kpis_kpiresult IN EXCLUSIVE MODE")  # a transaction is open until commit

    class Lock:
        held = True

        def release(self):
            if self.held:
                holder.commit()
                self.held = False

    lock = Lock()
    yield lock
    lock.release()
    holder.close()


@pytest.fixture
def client(redis_url):
    """The test process plays the web process of a deployment: a Celery client of the real broker."""
    client = Celery("fls_registry", broker=redis_url, set_as_current=False)
    client.conf.update(task_serializer="json", task_routes=celery_app.conf.task_routes)
    return client


@pytest.fixture
def episodes(programme, make_episode):
    for n in range(12):
        make_episode(programme, patient_ref=f"K{n:03d}")
    KpiResult.objects.for_programme(programme).delete()
    KpiState.objects.filter(programme=programme).delete()
    return programme


def expected_figures(programme) -> list[tuple]:
    """What the recompute stores when nothing goes wrong (run here, in this process, afterwards)."""
    services.results_recompute(programme_ids=[programme.pk], as_of=timezone.localdate())
    return figures(programme)


def assert_delivered_again_and_right(programme, task_events, task_id, *logs):
    # This task's own success (by its id): an event of another test's worker must not count.
    succeeded = lambda: any(e["type"] == "task-succeeded" and e["uuid"] == task_id for e in task_events.events)  # noqa: E731
    assert task_events.wait_for(succeeded, 90), logs[-1].read_text()
    # The worker's own log, not its events: a solo worker buffers its events and died with them.
    received = f"Task {recompute_programme.name}[{task_id}] received"

    def deliveries() -> int:
        return sum(log.read_text().count(received) for log in logs)

    # A loaded machine may flush the worker's log a moment after its event reached us.
    deadline = time.monotonic() + 15
    while deliveries() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert deliveries() == 2, "the task was not delivered a second time"
    stored = figures(programme)
    assert len(stored) == 14
    assert KpiResult.objects.for_programme(programme).get(period_kind="rolling12").episodes == 12
    state = KpiState.objects.get(programme=programme)
    assert state.computed_at is not None and state.failed_at is None
    assert not services.is_stale(programme)
    assert stored == expected_figures(programme)


def test_the_pool_child_killed_mid_recompute_is_redelivered_at_once(
    episodes, start_celery_worker, task_events, client, results_locked
):
    programme = episodes
    worker, log = start_celery_worker(pool="prefork")
    wait_until(lambda: pool_children(worker.pid), 60, "the worker started no pool process", log)
    task_id = client.send_task(recompute_programme.name, args=[programme.pk]).id
    wait_until(backends_waiting_to_store, 60, "the recompute never reached its INSERT", log)
    (child,) = pool_children(worker.pid)

    os.kill(child, signal.SIGKILL)
    wait_until(lambda: child not in pool_children(worker.pid), 30, "the pool kept the killed child", log)
    assert not KpiResult.objects.for_programme(programme).exists()  # nothing half-stored
    results_locked.release()

    assert_delivered_again_and_right(programme, task_events, task_id, log)
    assert worker.poll() is None, log.read_text()
    assert "WorkerLostError" in log.read_text()


def test_a_whole_worker_killed_mid_recompute_hands_its_task_to_another(
    episodes, start_celery_worker, task_events, client, results_locked
):
    programme = episodes
    visibility = 5  # production: an hour, longer than any task
    short = {"CELERY_VISIBILITY_TIMEOUT": str(visibility)}
    first, first_log = start_celery_worker(**short)
    task_id = client.send_task(recompute_programme.name, args=[programme.pk]).id
    wait_until(backends_waiting_to_store, 60, "the recompute never reached its INSERT", first_log)
    taken = time.monotonic()  # the task was handed to the first worker a moment before this
    (blocked,) = backends_waiting_to_store()

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    results_locked.release()
    wait_until(lambda: blocked not in backends_waiting_to_store(), 30, "the dead worker's query stayed", first_log)
    assert not KpiResult.objects.for_programme(programme).exists()  # its transaction never committed

    # A worker looks for tasks whose holder died when it starts (and every 100 s or so after):
    # the second one starts once the first one's task has been unacknowledged for longer than
    # the visibility timeout.
    time.sleep(max(0.0, taken + visibility + 1 - time.monotonic()))
    second, second_log = start_celery_worker(**short)
    assert_delivered_again_and_right(programme, task_events, task_id, first_log, second_log)
    assert second.poll() is None, second_log.read_text()


def test_the_visibility_timeout_outlasts_every_task():
    """Otherwise Redis would hand a task that is still running to a second worker."""
    from django.conf import settings

    limits = [task.time_limit or 0 for name, task in celery_app.tasks.items() if not name.startswith("celery.")]
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > max(limits)
