"""Load: 50 coordinators and 10 map visitors at once, on gunicorn and PostgreSQL, driven by Locust.

    .venv/bin/python bench/load_bench.py                       # the 2-minute run, then the search for the limit
    .venv/bin/python bench/load_bench.py --seconds 30 --no-limit --workers 3 --threads 4

Runs against the demo data (``make demo`` first, or ``manage.py load_demo``), on DATABASE_URL (or
DATABASE_ADMIN_URL, or the embedded PostgreSQL). It:

1. prepares ``--coordinators`` logged-in coordinator sessions spread over the demo programmes (bench
   accounts ``coordinator-NN@load.bench``; sessions made directly, so the login's own rate limit
   is not what is measured), each with episodes of its programme that it alone edits;
2. starts gunicorn on 127.0.0.1 (``--workers`` processes of ``--threads`` threads; ``gthread``);
3. runs Locust headless for ``--seconds``: coordinators pause 2-4 s between actions (episode
   list, search, an episode, an edit saved, worklist, KPI dashboard, programme home; weights in
   bench/locustfile.py), ``--visitors`` anonymous visitors look at the map, its data and profiles;
4. prints requests, requests/s, p50/p95/p99 and failures per page, and the CPU seconds gunicorn,
   PostgreSQL and Locust used (what limits it);
5. unless ``--no-limit``: runs of ``--step-seconds`` with ``--step``, then twice, three times...
   as many coordinators (the same pauses, the same visitors) until the p95 of some page passes
   300 ms or a request fails, and prints the highest request rate at which every page's p95
   stayed under 300 ms.

Everything listens on loopback only. All visitors share one address, so the public API's
per-address rate limit is lifted for the server under test (PUBLIC_API_RATE), as it would be for
a reverse proxy's address.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PORT = 8799
P95_LIMIT_MS = 300

from bench.benchdb import broker_url, start_worker  # noqa: E402 - after the path is set


def prepare(coordinators: int) -> dict:
    """Bench coordinators in the demo programmes, their sessions and the episodes each may edit."""
    from bench.benchdb import setup_django

    setup_django()
    from django.contrib.auth import get_user_model
    from django.db.utils import ProgrammingError
    from django.test import Client

    from patients.models import Episode
    from programmes.models import Membership, Programme, Role

    try:
        programmes = [
            p
            for p in Programme.objects.filter(status="active").order_by("slug")
            if Episode.objects.for_programme(p).exists()
        ]
    except ProgrammingError:
        sys.exit("the database has no tables: run `make demo` (or manage.py migrate and load_demo) first")
    if not programmes:
        sys.exit("the demo is not loaded: run `make demo` (or manage.py load_demo) first")
    User = get_user_model()
    people = []
    for n in range(coordinators):
        programme = programmes[n % len(programmes)]
        user, _ = User.objects.get_or_create(
            email=f"coordinator-{n:03d}@load.bench", defaults={"full_name": f"Load {n}"}
        )
        Membership.objects.update_or_create(user=user, programme=programme, defaults={"role": Role.COORDINATOR})
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        people.append(
            {"programme": programme.slug, "programme_id": programme.pk, "session": client.cookies["sessionid"].value}
        )
    for programme in programmes:
        mine = [p for p in people if p["programme_id"] == programme.pk]
        episodes = list(
            Episode.objects.for_programme(programme).order_by("pk").values_list("pk", "patient__patient_ref")[:2000]
        )
        for i, person in enumerate(mine):  # disjoint slices: two people never save the same episode
            person["episodes"] = [list(e) for e in episodes[i :: len(mine)]][:200]
    from network.selectors import public_programme

    profiles = [slug for slug in Programme.objects.values_list("slug", flat=True) if public_programme(slug)]
    if not profiles:
        sys.exit("no programme of the demo is on the public map: load the demo again")
    return {"coordinators": people, "profiles": profiles}


def process_cpu(match) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each live process whose command line matches."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not match(command):
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            continue
    return found


class CpuSampler:
    """CPU seconds per kind of process over a run, sampled every half second (processes that end
    during the run, such as database backends, count with their last sample)."""

    def __init__(self):
        import threading

        self.last: dict[tuple[str, str], float] = {}
        self.first: dict[tuple[str, str], float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def sample(self):
        for name, match in SAMPLED.items():
            for pid, seconds in process_cpu(match).items():
                self.first.setdefault((name, pid), seconds)
                self.last[(name, pid)] = seconds

    def loop(self):
        while not self.stop.wait(0.5):
            self.sample()

    def __enter__(self):
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.sample()

    def used(self) -> dict[str, float]:
        totals = dict.fromkeys(SAMPLED, 0.0)
        for (name, pid), seconds in self.last.items():
            totals[name] += seconds - self.first[(name, pid)]
        return totals


SAMPLED = {
    "gunicorn": lambda c: "gunicorn" in c and "fls_registry.wsgi" in c,
    "PostgreSQL": lambda c: c.startswith("postgres:") or "postgres: " in c,
    "Celery worker": lambda c: "celery" in c and " worker" in c,
    "Locust": lambda c: "locust" in c and "locustfile" in c,
}


def server_env() -> dict:
    # Saves queue their KPI recompute for a worker, as in production (not run inline, as with no broker).
    return {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "PUBLIC_API_RATE": "100000/min",
        "CELERY_BROKER_URL": broker_url(),
    }


def start_gunicorn(workers: int, threads: int, worker_class: str) -> subprocess.Popen:
    env = server_env()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "fls_registry.wsgi",
            "--workers", str(workers), "--threads", str(threads), "--worker-class", worker_class,
            "--bind", f"127.0.0.1:{PORT}", "--max-requests", "0", "--timeout", "60",
            # Longer than any pause between two requests of one person: an idle connection is not
            # closed by the server just as the client reuses it (a reset, counted as a failure).
            "--keep-alive", "10",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2).status == 200:  # noqa: S310
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    sys.exit("gunicorn did not start")


def run_locust(
    plan: dict, coordinators: int, visitors: int, seconds: int, out: Path, *, no_pauses: bool = False
) -> tuple[list[dict], float]:
    """One headless Locust run; returns its stats rows and the wall-clock seconds it lasted."""
    plan = {
        **plan,
        "no_pauses": no_pauses,
        "coordinators": plan["coordinators"][:coordinators],
        "coordinator_count": coordinators,
        "visitor_count": visitors,
    }
    plan_file = out.with_suffix(".plan.json")
    plan_file.write_text(json.dumps(plan))
    users = coordinators + visitors
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
            "--host", f"http://127.0.0.1:{PORT}", "--users", str(users), "--spawn-rate", str(max(users // 5, 1)),
            "--run-time", f"{seconds}s", "--csv", str(out), "--only-summary", "--loglevel", "WARNING",
            "--stop-timeout", "10",
        ],
        cwd=ROOT, env={**os.environ, "LOAD_BENCH_PLAN": str(plan_file)}, check=False,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    with open(f"{out}_failures.csv") as handle:
        for failure in list(csv.DictReader(handle))[:5]:
            print(
                f"  failed: {failure['Method']} {failure['Name']} x{failure['Occurrences']}: {failure['Error'][:200]}"
            )
    with open(f"{out}_stats.csv") as handle:
        return list(csv.DictReader(handle)), elapsed


def table(rows: list[dict]) -> None:
    print(f"{'page':28s} {'requests':>8s} {'req/s':>6s} {'p50':>5s} {'p95':>5s} {'p99':>5s} {'failed':>6s}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all"
        print(
            f"{name:28s} {int(row['Request Count']):8d} {float(row['Requests/s']):6.1f} {row['50%']:>5s} "
            f"{row['95%']:>5s} {row['99%']:>5s} {int(row['Failure Count']):6d}"
        )


def pages(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["Name"] != "Aggregated"]


def within_limit(rows: list[dict]) -> bool:
    return all(float(r["95%"]) < P95_LIMIT_MS and int(r["Failure Count"]) == 0 for r in pages(rows))


def aggregated(rows: list[dict]) -> dict:
    return next(r for r in rows if r["Name"] == "Aggregated")


def measured_run(plan: dict, args, coordinators: int, out: Path, *, no_pauses: bool) -> tuple[list[dict], dict, float]:
    """One run, with the table of pages and the CPU each kind of process used; returns the rows, the
    CPU seconds per kind of process and the run's wall-clock seconds."""
    with CpuSampler() as sampler:
        rows, elapsed = run_locust(plan, coordinators, args.visitors, args.seconds, out, no_pauses=no_pauses)
    used = sampler.used()
    print(
        f"\n{coordinators} coordinators and {args.visitors} map visitors, "
        f"{'coordinators without pauses (visitors 2-4 s)' if no_pauses else '2-4 s between actions'}, "
        f"{args.seconds} s; gunicorn {args.workers} workers x "
        f"{args.threads if args.worker_class == 'gthread' else 1} threads ({args.worker_class}), {os.cpu_count()} CPUs"
    )
    table(rows)
    print("CPU used (seconds of one core, over the run): " + ", ".join(f"{k} {v:.0f}" for k, v in used.items()))
    print(f"  out of {elapsed * (os.cpu_count() or 1):.0f} core-seconds available")
    return rows, used, elapsed


def suite(args) -> None:
    """The issue's three load figures, one server for all: the worklist's p95 with 50 coordinators
    pausing, every page's p95 with 100 pausing, and the request rate of 50 that never pause."""
    from bench.report import summary

    plan = prepare(100)
    worker = start_worker(server_env())
    server = start_gunicorn(args.workers, args.threads, args.worker_class)
    work = Path(tempfile.mkdtemp(prefix="load-bench-"))
    try:
        run_locust(plan, 12, 2, 15, work / "warm-up")
        fifty, _used, _elapsed = measured_run(plan, args, 50, work / "fifty", no_pauses=False)
        hundred, _used, _elapsed = measured_run(plan, args, 100, work / "hundred", no_pauses=False)
        saturated, used, elapsed = measured_run(plan, args, 50, work / "saturated", no_pauses=True)
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(timeout=30)
    worklist = next(r for r in pages(fifty) if "worklist" in r["Name"].lower())
    slowest = max(pages(hundred), key=lambda r: float(r["95%"]))
    failed = sum(int(aggregated(rows)["Failure Count"]) for rows in (fifty, hundred, saturated))
    served = int(aggregated(saturated)["Request Count"]) or 1
    cores = os.cpu_count() or 1
    per_request = {kind: seconds * 1000 / served for kind, seconds in used.items()}
    busy = sum(used.values()) / (elapsed * cores)
    total = sum(per_request.values())
    profile = [
        f"saturated run: {served:,} requests in {elapsed:.0f} s; the {cores} cores were {busy:.0%} busy",
        "CPU per request: " + ", ".join(f"{kind} {ms:.1f} ms" for kind, ms in per_request.items() if ms >= 0.05),
        f"at {total:.1f} ms of CPU per request, {cores} cores serve at most {1000 * cores / total:.0f} requests/s; "
        f"{args.workers} x {args.threads} gunicorn would need {1000 * cores / 120 - total + per_request.get('gunicorn', 0):.1f} ms "
        "of Python per request (or more cores) to reach 120",
    ]
    for line in profile:
        print(f"  profile: {line}")
    summary(
        "load",
        [
            ("50 coordinators pausing 3 s: worklist p95", float(worklist["95%"]), "ms", "<", 150),
            (f"100 coordinators pausing 3 s: slowest p95 ({slowest['Name']})", float(slowest["95%"]), "ms", "<", 300),
            (
                f"saturation, 50 coordinators without pauses, gunicorn {args.workers} x {args.threads}",
                float(aggregated(saturated)["Requests/s"]),
                "requests/s",
                ">=",
                120,
            ),
            ("saturation p50", float(aggregated(saturated)["50%"]), "ms", None, None),
            ("failed requests in the three runs", failed, "", "<=", 0),
        ],
        profile,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coordinators", type=int, default=50)
    parser.add_argument("--visitors", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn process (gthread)")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--no-limit", action="store_true", help="skip the search for the highest rate")
    parser.add_argument("--step-seconds", type=int, default=60)
    parser.add_argument("--step", type=int, default=10, help="coordinators added at each step of the search")
    parser.add_argument("--no-pauses", action="store_true", help="coordinators send the next request at once")
    parser.add_argument(
        "--suite",
        action="store_true",
        help="the three runs bench/all.py reports: 50 coordinators pausing, 100 pausing, 50 without pauses",
    )
    args = parser.parse_args()
    if args.suite:
        return suite(args)

    # The search for the limit goes up to 200 coordinators: sessions for all of them.
    plan = prepare(args.coordinators if args.no_limit else max(args.coordinators, 200))
    worker = start_worker(server_env())
    server = start_gunicorn(args.workers, args.threads, args.worker_class)
    work = Path(tempfile.mkdtemp(prefix="load-bench-"))
    try:
        # Warm-up, not counted: each gunicorn process loads its code and connects on its first requests.
        run_locust(plan, min(args.coordinators, 12), 2, 15, work / "warm-up")
        measured_run(plan, args, args.coordinators, work / "main", no_pauses=args.no_pauses)
        if args.no_limit:
            return
        print(
            f"\nThe highest rate with every page's p95 under {P95_LIMIT_MS} ms and no failure ({args.step_seconds} s steps):"
        )
        best = None
        coordinators = args.step
        while coordinators <= len(plan["coordinators"]):
            rows, _ = run_locust(plan, coordinators, args.visitors, args.step_seconds, work / f"step-{coordinators}")
            total = aggregated(rows)
            worst = max(pages(rows), key=lambda r: float(r["95%"]))
            ok = within_limit(rows)
            print(
                f"  {coordinators:4d} coordinators: {float(total['Requests/s']):6.1f} req/s, p95 all {total['95%']} ms, "
                f"slowest p95 {worst['Name']} {worst['95%']} ms, failed {total['Failure Count']}"
                + ("" if ok else "  <- over")
            )
            if not ok:
                break
            best = (coordinators, float(total["Requests/s"]))
            coordinators += args.step
        if best:
            print(f"highest: {best[1]:.1f} requests/s ({best[0]} coordinators and {args.visitors} visitors)")
        else:
            print("even the first step was over the limit")
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
