"""Episode list and worklist pages with a large programme: server time per request, queries per page.

    .venv/bin/python bench/list_bench.py [--episodes 50000] [--requests 40]

Loads N synthetic episodes into a benchmark programme (once; reused on later runs), then times
the pages through Django's full request cycle (middleware, session, access checks, template):
the episode list's typical views (the first page, a search, a status filter, a late page, 200 rows
per page) and the follow-up worklist (first page, a later page, 200 rows per page). Prints median
and 95th percentile per view and the queries each page makes. Uses DATABASE_URL, or the embedded
PostgreSQL.
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
    os.environ["DJANGO_DEBUG"] = "false"  # as in production: cached templates, no query log
    from bench.benchdb import setup_django

    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from patients.importer import episodes_import
    from patients.models import Episode
    from patients.selectors import followup_worklist
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
    from bench.benchdb import vacuum_analyze

    vacuum_analyze("patients_patient", "patients_episode")
    user, _ = User.objects.get_or_create(email="bench-list@example.org")
    Membership.objects.get_or_create(user=user, programme=programme, defaults={"role": "coordinator"})
    client = Client()
    client.force_login(user)
    total = Episode.objects.for_programme(programme).count()
    pages = {
        "first page (50)": ("episodes", {}),
        "search 'L00012'": ("episodes", {"q": "L00012"}),
        "not yet assessed": ("episodes", {"status": "not_assessed"}),
        "follow-up overdue": ("episodes", {"status": "followup_overdue"}),
        "hip, sorted by ref": ("episodes", {"site": "hip", "sort": "patient_ref"}),
        "page 400": ("episodes", {"page": 400}),
        "200 per page": ("episodes", {"per_page": 200}),
        "worklist first page (50)": ("worklist", {}),
        "worklist page 5": ("worklist", {"page": 5}),
        "worklist 200 per page": ("worklist", {"per_page": 200}),
    }
    worklist_rows = followup_worklist(programme, today=date.today()).page.paginator.count
    print(
        f"\nprogramme of {total:,} episodes ({worklist_rows:,} contacts on the worklist), {args.requests} requests per view"
    )
    print(f"{'view':28s} {'median ms':>10s} {'p95 ms':>8s} {'queries':>8s}")
    medians = []  # of the pages of 50 rows (the default)
    figures = {}  # label -> (median, queries)
    for label, (page, params) in pages.items():
        url = f"/p/{SLUG}/{page}/"
        client.get(url, params)  # warm
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url, params)  # (CaptureQueriesContext turns the query log on)
        median = statistics.median(timings)
        if "per_page" not in params:
            medians.append(median)
        p95 = statistics.quantiles(timings, n=20)[-1]
        figures[label] = (median, len(queries))
        print(f"{label:28s} {median:10.1f} {p95:8.1f} {len(queries):8d}")
    print(f"\nworst median of the pages of 50 rows: {max(medians):.1f} ms (target < 40 ms)")
    from bench.report import summary

    episode_pages = {label: value for label, value in figures.items() if not label.startswith("worklist")}
    slowest = max((label for label in episode_pages if "per page" not in label), key=lambda k: episode_pages[k][0])
    summary(
        "list",
        [
            (f"episode list, {total:,} episodes, slowest median ({slowest})", episode_pages[slowest][0], "ms", "<", 40),
            ("episode list, queries a page (most)", max(q for _m, q in episode_pages.values()), "", "<=", 10),
            ("worklist first page (50)", figures["worklist first page (50)"][0], "ms", "<", 40),
            ("worklist 200 a page", figures["worklist 200 per page"][0], "ms", "<", 80),
        ],
    )


if __name__ == "__main__":
    main()
