"""Case finding's reading rate and memory: 100,000 FHIR Conditions and 100,000 HL7 v2 messages.

    .venv/bin/python bench/casefinding_bench.py [--records 100000] [--small 10000] [--page 1000]

The feeds are synthetic (casefinding/synthetic.py: an emergency department's mix, about one record
in six a fracture that passes the rules) and written to files first:

- FHIR: searchset pages of ``--page`` Conditions with their Patients, as an EHR pages a search;
  each page is one ``cases_find`` (one transaction), as an integration engine pushes them;
- HL7 v2: one file of every ADT message, read by ``find_cases`` as a stream (one transaction).

Each format and size runs in a fresh process on a programme emptied first (nothing is "already
read"), through the whole path: reading, the rules, the duplicate check, the writes. It prints
records per second (target ≥ 5,000) and the process's peak memory (resident set) at ``--small``
and ``--records`` records: memory is flat when the larger run's peak is within 25 % of the smaller's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = "bench-cf-"
SYSTEM = "urn:oid:1.2.3.999"
TARGET_RATE = 5_000
FLAT = 1.25


def write_feeds(fmt: str, count: int, page: int, folder: Path) -> None:
    from casefinding import synthetic

    start = date.today() - timedelta(days=365)
    if fmt == "fhir":
        for number, first in enumerate(range(0, count, page)):
            bundle = synthetic.condition_bundle(
                count=min(page, count - first), start=start, days=360, seed=1000 + number, system=SYSTEM
            )
            (folder / f"page-{number:05d}.json").write_bytes(synthetic.as_bytes(bundle))
        return
    with open(folder / "ed.hl7", "w", encoding="utf-8", newline="") as handle:
        for message in synthetic.adt_messages(count=count, start=start, days=360, seed=7, prefix="B"):
            handle.write(message)


def child(fmt: str, folder: str, slug: str) -> None:
    """One run in its own process: the feed files of ``folder`` into the emptied programme ``slug``."""
    from bench.benchdb import setup_django

    setup_django()
    from casefinding.models import Candidate, MonthlyCount, SeenRecord
    from casefinding.services import cases_find
    from programmes.models import Programme

    programme, _ = Programme.objects.get_or_create(
        slug=slug, defaults={"name": f"Case finding {slug}", "country": "GB", "record_number_system": SYSTEM}
    )
    from django.db import connection

    with connection.cursor() as cursor:  # in SQL: the ORM's delete would load the rows (and the memory)
        for model in (Candidate, SeenRecord, MonthlyCount):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE programme_id = %s", [programme.pk])  # noqa: S608
    files = sorted(Path(folder).iterdir())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    records = candidates = 0
    started = time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            counts = cases_find(programme=programme, content=handle, fmt=fmt, via="bench")
        records += counts.records
        candidates += counts.candidates + counts.duplicates
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": records, "passed": candidates, "seconds": seconds, "rss_before_kb": before,
                      "rss_peak_kb": peak}))  # fmt: skip


def run(fmt: str, count: int, page: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="cf-bench-") as folder:
        write_feeds(fmt, count, page, Path(folder))
        size = sum(path.stat().st_size for path in Path(folder).iterdir())
        done = subprocess.run(
            [sys.executable, __file__, "--child", fmt, folder, f"{PREFIX}{fmt}-{count}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"the {fmt} run of {count} records failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["bytes"] = size
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=1_000, help="Conditions per FHIR searchset page")
    parser.add_argument("--child", nargs=3, metavar=("FORMAT", "FOLDER", "SLUG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fls_registry.settings")
    if args.child:
        child(*args.child)
        return
    from bench.benchdb import setup_django
    from bench.report import summary

    setup_django()
    rows, profile = [], []
    names = {"fhir": "FHIR Conditions", "hl7v2": "HL7 v2 messages"}
    for fmt in ("fhir", "hl7v2"):
        runs = {count: run(fmt, count, args.page) for count in (args.small, args.records)}
        for count, result in runs.items():
            rate = result["records"] / result["seconds"]
            print(
                f"{names[fmt]:>16} {count:>7,}: {result['seconds']:6.1f} s, {rate:7,.0f} records/s, "
                f"{result['passed']:,} passed the rules, {result['bytes'] / 1e6:.1f} MB of feed, "
                f"peak memory {result['rss_peak_kb'] / 1024:.0f} MB (before reading {result['rss_before_kb'] / 1024:.0f} MB)"
            )
        big, small = runs[args.records], runs[args.small]
        rate = big["records"] / big["seconds"]
        ratio = big["rss_peak_kb"] / small["rss_peak_kb"]
        rows.append((f"{names[fmt]}, {args.records:,}: records/s", round(rate), "", ">=", TARGET_RATE))
        rows.append((f"{names[fmt]}: peak memory at {args.records:,} / at {args.small:,}", round(ratio, 2), "×",
                     "<=", FLAT))  # fmt: skip
        profile.append(
            f"{names[fmt]}: peak {small['rss_peak_kb'] / 1024:.0f} MB at {args.small:,}, "
            f"{big['rss_peak_kb'] / 1024:.0f} MB at {args.records:,}"
        )
    summary("casefinding", rows, profile)


if __name__ == "__main__":
    main()
