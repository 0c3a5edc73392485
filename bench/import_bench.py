"""Episode import throughput, against PostgreSQL's own COPY.

    .venv/bin/python bench/import_bench.py 100000 [--sizes 10000,100000]

For N synthetic episodes it writes a CSV file, then, each in a fresh process (so peak memory is
that import's own):
  1. imports it through the same code path as `manage.py import_patients` (validation, set-based
     upsert and audit rows included), into an empty benchmark programme;
  2. re-imports the same file (every row unchanged);
  3. loads the same file with a bare `COPY ... FROM STDIN (FORMAT csv)` into a plain table: the
     physical limit of getting these rows into PostgreSQL on this machine.
It prints rows/s, the ratio to COPY and the peak resident memory, and the growth of peak memory
from the smallest to the largest size. Uses DATABASE_URL, or the embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 1)


def setup_django():
    # As in production, the KPI recompute an import asks for is queued for a worker, not run inside
    # the import: an in-process broker takes the message and nothing consumes it.
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    from bench.benchdb import setup_django

    setup_django()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_file(path: Path, count: int) -> None:
    from patients import rules
    from patients.synthetic import synthetic_cohort

    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=rules.COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in synthetic_cohort(count=count, start=date(2023, 1, 1), end=date(2026, 10, 1), today=TODAY, seed=7):
            writer.writerow(row)


def bench_programme(slug: str, *, reset: bool):
    from django.db import connection

    from programmes.models import Programme

    programme, _ = Programme.objects.get_or_create(slug=slug, defaults={"name": f"Benchmark {slug}", "country": "GB"})
    if reset:
        # The access log and the audit trail are append-only (the database refuses deletes): their
        # rows stay, and the audit trail grows by each run's import.
        with connection.cursor() as cursor:
            for table in (
                "patients_episode",
                "patients_patient",
                "kpis_kpiresult",
                "kpis_kpistate",
                "kpis_kpireport",
            ):
                cursor.execute(f"DELETE FROM {table} WHERE programme_id = %s", [programme.pk])  # noqa: S608
    return programme


def worker(mode: str, path: Path, slug: str) -> dict:
    setup_django()
    from django.db import connection

    if mode == "copy":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy_episodes")
            columns = ", ".join(f"{c} text" for c in csv.reader(path.open()).__next__())
            cursor.execute(f"CREATE TEMP TABLE bench_copy_episodes ({columns})")
            started = time.perf_counter()
            with (
                cursor.cursor.copy("COPY bench_copy_episodes FROM STDIN (FORMAT csv, HEADER true)") as copy,
                path.open("rb") as handle,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            connection.commit() if not connection.get_autocommit() else None
            elapsed = time.perf_counter() - started
            cursor.execute("SELECT count(*) FROM bench_copy_episodes")
            rows = cursor.fetchone()[0]
            cursor.execute("DROP TABLE bench_copy_episodes")
        return {"seconds": elapsed, "rows": rows, "peak_rss_mb": peak_rss_mb()}

    from patients import importer
    from patients.importer import csv_rows, episodes_import

    # Where the writing time goes: each table's COPY and INSERT (through the row-level policy), and
    # the whole of each chunk's writing (lookups, ids, the COPY text built here).
    spent: dict[str, float] = {}
    copy, load = importer._Writer._copy, importer._Writer.load

    def timed(name, function):
        def wrapper(self, *args):
            started = time.perf_counter()
            try:
                return function(self, *args)
            finally:
                key = name(*args)
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - started

        return wrapper

    importer._Writer._copy = timed(lambda table, *_: f"writing {table}", copy)
    importer._Writer.load = timed(lambda *_: "writing, all of it", load)
    programme = bench_programme(slug, reset=(mode == "import"))
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with path.open("rb") as handle:
        counts = episodes_import(programme=programme, rows=csv_rows(handle), source="bench", today=TODAY)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": elapsed,
        "counts": counts.as_dict(),
        "peak_rss_mb": peak_rss_mb(),
        "child_rss_mb": usage.ru_maxrss / 1024,
        "validating_cpu": usage.ru_utime + usage.ru_stime,
        "writer_cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "spent": spent,
    }


def run_worker(mode: str, path: Path, slug: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(path), slug],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, nargs="?", default=100_000)
    parser.add_argument("--sizes", default="", help="comma-separated sizes for the memory growth figure")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, path, slug = args.worker
        print(json.dumps(worker(mode, Path(path), slug)))
        return

    setup_django()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s} | {args.count})
    if len(sizes) == 1 and args.count >= 100_000:
        sizes = [args.count // 10, args.count]
    from bench.report import summary

    peaks, child_peaks = {}, {}
    headline = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"episodes-{size}.csv"
            write_file(path, size)
            slug = f"bench-import-{size}"
            first = run_worker("import", path, slug)
            again = run_worker("reimport", path, slug)
            copy = run_worker("copy", path, slug)
            run_worker_cleanup(slug)
            peaks[size] = first["peak_rss_mb"]
            rate = size / first["seconds"]
            rate_again = size / again["seconds"]
            rate_copy = copy["rows"] / copy["seconds"]
            print(f"\n{size:,} episodes ({path.stat().st_size / 1e6:.1f} MB CSV)")
            print(f"  import            {first['seconds']:7.2f} s  {rate:10,.0f} rows/s  {first['counts']}")
            print(f"  re-import (same)  {again['seconds']:7.2f} s  {rate_again:10,.0f} rows/s  {again['counts']}")
            print(f"  bare COPY         {copy['seconds']:7.2f} s  {rate_copy:10,.0f} rows/s  (physical limit)")
            print(f"  import / COPY     {rate / rate_copy:7.1%}     re-import / COPY {rate_again / rate_copy:7.1%}")
            print(
                f"  peak RSS          {first['peak_rss_mb']:7.1f} MB (import), {again['peak_rss_mb']:.1f} MB (re-import); "
                f"validating child {first['child_rss_mb']:.1f} MB"
            )
            child_peaks[size] = first["child_rss_mb"]
            headline = (size, rate, rate_copy / rate, first, rate_again)
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        print(
            f"\npeak memory {small:,} -> {large:,} rows: {peaks[small]:.1f} MB -> {peaks[large]:.1f} MB "
            f"(x{peaks[large] / peaks[small]:.2f}); validating child {child_peaks[small]:.1f} MB -> "
            f"{child_peaks[large]:.1f} MB (x{child_peaks[large] / child_peaks[small]:.2f})"
        )
    size, rate, slower, first, rate_again = headline
    profile = [
        f"import of {size:,} rows: {first['seconds']:.2f} s wall on {os.cpu_count()} cores",
        f"validating process (the rules, in Python): {first['validating_cpu']:.2f} s CPU",
        f"this process (reading results, building COPY text): {first['writer_cpu']:.2f} s CPU",
        *(f"{name}: {seconds:.2f} s wall" for name, seconds in sorted(first["spent"].items(), key=lambda i: -i[1])),
        "the rest of the writing wall time is PostgreSQL: COPY into a staging table, then INSERT through the "
        "row-level policy, with the indexes and two audit rows per new episode (patient and episode)",
    ]
    for line in profile:
        print(f"  profile: {line}")
    summary(
        "import",
        [
            (f"CSV import, {size:,} rows, validation and audit", rate, "rows/s", ">=", 40_000),
            ("import time / bare COPY time (same file)", slower, "x", "<=", 12),
            ("re-import of the same file (every row unchanged)", rate_again, "rows/s", None, None),
        ],
        profile,
    )


def run_worker_cleanup(slug: str) -> None:

    from programmes.models import Programme

    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        return
    bench_programme(slug, reset=True)  # the programme itself stays: its access log is append-only
    from bench.benchdb import vacuum_analyze

    # Leave the tables as the next run expects them (no dead rows from this one).
    vacuum_analyze("patients_patient", "patients_episode", "patients_auditentry")


if __name__ == "__main__":
    main()
