"""The public face with 1,000 programmes on the map: GeoJSON (uncached, cached, 304), the map page's
transfer before tiles, and the network figures' queries.

    .venv/bin/python bench/public_bench.py [--programmes 1000] [--requests 50]

Creates synthetic programmes (once; slug prefix ``bench-public-``, reused on later runs) spread over
12 countries so that ``--programmes`` are on the map: 55 % of them recognised (gold, silver, bronze),
a quarter of the silver and gold champions with an open offer, the rest not recognised but opted
in; plus a fifth as many that are never shown (candidates, and programmes that did not opt in). Then, through Django's full request cycle (middleware, the API
view, serialisation; the public rate limit is lifted for the run):

1. ``/api/v1/public/programmes.geojson`` uncached: the public cache is emptied before each request;
2. the same, cached; and with ``If-None-Match`` (304);
3. the map page's transfer before tiles: the page's HTML, every stylesheet and script it loads,
   the country outlines and the GeoJSON, each raw and gzip-compressed (what production sends:
   WhiteNoise serves pre-compressed static files and the GeoJSON view compresses itself);
4. the figures (``network.selectors.network_summary``): queries and time.

Prints median and 95th percentile per request. Uses DATABASE_URL (or the embedded PostgreSQL) and
the configured cache (CACHE_URL, e.g. redis://127.0.0.1:6379/14; in-process otherwise).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = "bench-public-"

from bench.matching_bench import COUNTRIES  # noqa: E402 - the same 12 countries, languages and centres


def populate(count: int) -> int:
    """Create the synthetic programmes if fewer exist; return how many are shown on the map."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from mentorship.models import ChampionOffer
    from network.models import PublicListing
    from network.selectors import public_programmes
    from programmes.models import Programme
    from recognition.models import Application, Recognition, State
    from recognition.selectors import current_catalogue

    hidden = count // 5
    have = Programme.objects.filter(slug__startswith=PREFIX).count()
    if have < count + hidden:
        rng = random.Random(20261123)
        started = time.perf_counter()
        now = timezone.now()
        catalogue = current_catalogue()
        creator, _ = get_user_model().objects.get_or_create(email="bench-public@bench.example")
        with transaction.atomic():
            for n in range(have, count + hidden):
                country = rng.choice(list(COUNTRIES))
                languages, (lat, lon) = COUNTRIES[country]
                roll = rng.random() if n < count else 2.0 + rng.random()  # the hidden ones last
                programme = Programme.objects.create(
                    slug=f"{PREFIX}{n}",
                    name=f"FLS benchmark {n}",
                    institution=f"Hospital {n}",
                    country=country,
                    city=f"City {n % 97}",
                    latitude=round(lat + rng.uniform(-4, 4), 6),
                    longitude=round(lon + rng.uniform(-6, 6), 6),
                    languages=languages,
                    care_setting=rng.choice(["inpatient", "outpatient", "mixed", "primary_care"]),
                    status="candidate" if roll > 2.5 else "active",
                )
                if roll < 0.55:
                    level = rng.choice(["gold", "silver", "bronze"])
                    application = Application.objects.create(
                        programme=programme,
                        catalogue=catalogue,
                        state=State.RECOGNISED,
                        period_start=now.date() - timedelta(days=400),
                        period_end=now.date() - timedelta(days=35),
                        frozen_kpis={},
                        frozen_as_of=now.date(),
                        frozen_at=now,
                        created_by=creator,
                        level=level,
                        decided_at=now,
                    )
                    Recognition.objects.create(
                        programme=programme,
                        application=application,
                        level=level,
                        decided_at=now,
                        valid_until=now.date() + timedelta(days=3 * 365),
                    )
                    if level != "bronze" and rng.random() < 0.25:
                        ChampionOffer.objects.create(programme=programme, is_open=True, languages=languages + ["en"])
                elif roll < 1 or roll > 2.5:  # opted in (a candidate that opts in is still never shown)
                    PublicListing.objects.create(programme=programme, show_on_map=True)
        print(f"created {count + hidden - have:,} programmes in {time.perf_counter() - started:.1f} s")
    return public_programmes().filter(slug__startswith=PREFIX).count()


def timed(client, url, repeat, before=None, **headers):
    times, response = [], None
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 304), (url, response.status_code)
    return times, response


def report(label, times):
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(f"  {label:<44} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms   (n={len(times)})")


def static_bytes(url: str) -> bytes:
    from django.contrib.staticfiles import finders

    path = finders.find(url.removeprefix("/static/").split("?")[0])
    return Path(path).read_bytes()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programmes", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    os.environ["DJANGO_DEBUG"] = "false"  # as in production: cached templates, no query log
    from bench.benchdb import setup_django

    setup_django()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.report import summary
    from network import api, public_cache
    from network.selectors import network_summary

    settings.ALLOWED_HOSTS = ["*"]
    api.PublicAPIView.throttle_classes = []
    shown = populate(args.programmes)
    client = Client()
    url = "/api/v1/public/programmes.geojson"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(
        f"PostgreSQL {server}; cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; "
        f"{shown} of the benchmark's programmes on the map"
    )

    def empty_cache():
        public_cache.bump()

    client.get(url)  # warm up connections and imports
    uncached, response = timed(client, url, args.requests, before=empty_cache)
    document = response.content
    features = len(re.findall(rb'"type"\s*:\s*"Feature"', document))
    print(f"GeoJSON: {features} features, {len(document) / 1024:.0f} kB raw")
    report("GeoJSON uncached (built from the database)", uncached)
    cached, response = timed(client, url, args.requests)
    report("GeoJSON cached", cached)
    not_modified, _ = timed(client, url, args.requests, HTTP_IF_NONE_MATCH=response["ETag"])
    report("GeoJSON cached, If-None-Match (304)", not_modified)
    filtered, _ = timed(client, url + "?level=gold&champion=1", args.requests, before=empty_cache)
    report("GeoJSON uncached, filtered (gold champions)", filtered)

    page = client.get("/map/").content
    assets = re.findall(rb'(?:href|src|data-world)="(/static/[^"]+)"', page)
    transfer = [("map page HTML", page)] + [(a.decode(), static_bytes(a.decode())) for a in assets]
    geojson_gzip = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    print("Map page transfer before tiles (raw / gzip):")
    raw_total = gzip_total = 0
    for name, body in transfer:
        compressed = len(gzip.compress(body, compresslevel=9))
        raw_total += len(body)
        gzip_total += compressed
        print(f"  {name:<52} {len(body) / 1024:7.1f} kB / {compressed / 1024:6.1f} kB")
    assert geojson_gzip["Content-Encoding"] == "gzip"
    raw_total += len(document)
    gzip_total += len(geojson_gzip.content)
    print(
        f"  {'GeoJSON (' + str(features) + ' features, compressed by the view)':<52} "
        f"{len(document) / 1024:7.1f} kB / {len(geojson_gzip.content) / 1024:6.1f} kB"
    )
    print(f"  {'total':<52} {raw_total / 1024:7.1f} kB / {gzip_total / 1024:6.1f} kB")
    as_served = gzip_total - len(gzip.compress(page, compresslevel=9)) + len(page)
    print(f"  {'total with the HTML uncompressed (the app does not gzip pages)':<52} {as_served / 1024:7.1f} kB")

    cache.clear()
    network_summary()  # warm
    timings = []
    for _ in range(args.requests):
        started = time.perf_counter()
        network_summary()  # never cached: the function itself reads the database each time
        timings.append((time.perf_counter() - started) * 1000)
    settings.DEBUG = True
    with CaptureQueriesContext(connection) as queries:
        figures = network_summary()
    report(f"network figures uncached ({len(queries.captured_queries)} query)", timings)
    print(f"  {figures}")
    summary(
        "public",
        [
            ("network figures, 1,000 programmes, uncached (median)", statistics.median(timings), "ms", "<", 20),
            ("GeoJSON uncached (median)", statistics.median(uncached), "ms", None, None),
        ],
    )


if __name__ == "__main__":
    main()
