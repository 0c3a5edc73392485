"""Episode list page with a large programme: server time per request and queries per page.

    .venv/bin/python bench/list_bench.py [--episodes 50000] [--requests 40]

Loads N synthetic episodes into a benchmark programme (once; reused on later runs), then times
the list page through Django's full request cycle (middleware, session, access checks, template)
for typical views: the first page, a search, a status filter, a late page, 200 rows per page.
Prints median and 95th percentile per view. Uses DATABASE_URL, or the embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLUG = "bench-list"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fls_registry.settings")
    os.environ["DJANGO_DEBUG"] = "false"  # as in production: cached templates, no query log
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from patients.importer import episodes_import
    from patients.models import Episode
    from patients.synthetic import synthetic_cohort
    from programmes.models import Membership, Programme

    settings.ALLOWED_HOSTS = ["*"]
    programme, _ = Programme.objects.get_or_create(slug=SLUG, defaults={"name": "Benchmark list", "country": "GB"})
    have = Episode.objects.for_programme(programme).count()
    if have < args.episodes:
        today = date.today()
        rows = synthetic_cohort(
            count=args.episodes, start=today - timedelta(days=3 * 365), end=today, today=today, seed=3, prefix="L"
        )
        started = time.perf_counter()
        episodes_import(programme=programme, rows=((n + 2, r, []) for n, r in enumerate(rows)), source="bench")
        print(f"loaded {args.episodes:,} episodes in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE patients_patient, patients_episode")
    user, _ = User.objects.get_or_create(email="bench-list@example.org")
    Membership.objects.get_or_create(user=user, programme=programme, defaults={"role": "coordinator"})
    client = Client()
    client.force_login(user)
    total = Episode.objects.for_programme(programme).count()
    views = {
        "first page (50)": {},
        "search 'L00012'": {"q": "L00012"},
        "not yet assessed": {"status": "not_assessed"},
        "follow-up overdue": {"status": "followup_overdue"},
        "hip, sorted by ref": {"site": "hip", "sort": "patient_ref"},
        "page 400": {"page": 400},
        "200 per page": {"per_page": 200},
    }
    print(f"\nepisode list, programme of {total:,} episodes, {args.requests} requests per view")
    print(f"{'view':24s} {'median ms':>10s} {'p95 ms':>8s} {'queries':>8s}")
    medians = []
    for label, params in views.items():
        client.get(f"/p/{SLUG}/episodes/", params)  # warm
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(f"/p/{SLUG}/episodes/", params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/p/{SLUG}/episodes/", params)  # (CaptureQueriesContext turns the query log on)
        median = statistics.median(timings)
        medians.append(median)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{label:24s} {median:10.1f} {p95:8.1f} {len(queries):8d}")
    print(f"\nworst median {max(medians):.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
