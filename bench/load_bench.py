"""Many coordinators at once: gunicorn under a steady load of people clicking through their pages.

    .venv/bin/python bench/load_bench.py [--users 50] [--think 3] [--seconds 60] [--workers 2]

Runs against the demo data (``make demo`` first, or ``manage.py load_demo``): starts gunicorn with
N workers, logs in ``--users`` sessions as the demo coordinator of FLS Yaroslavl, and lets each
one open a random page (worklist, episode list, KPI dashboard, programme home), wait ``--think``
seconds, and again, for ``--seconds``. Prints the median and 95th percentile per page. The load
generator runs on the same machine as the server, as a reverse proxy would. Uses DATABASE_URL, or
the embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PORT = 8799
PAGES = ["/p/yaroslavl-rech/worklist/", "/p/yaroslavl-rech/episodes/", "/p/yaroslavl-rech/kpis/", "/p/yaroslavl-rech/"]


def sessions(count: int) -> list[str]:
    from bench.benchdb import setup_django

    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.filter(email="coordinator@demo.fls").first()
    if user is None:
        sys.exit("the demo is not loaded: run `make demo` (or manage.py load_demo) first")
    cookies = []
    for _ in range(count):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def wait_for_server(deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    sys.exit("gunicorn did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, default=3.0, help="seconds each person waits between clicks")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    cookies = sessions(args.users)
    env = {**os.environ, "DJANGO_DEBUG": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "fls_registry.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_server(time.monotonic() + 60)
        timings: dict[str, list[float]] = {page: [] for page in PAGES}
        failures: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def person(cookie: str) -> None:
            rng = random.Random(cookie)
            time.sleep(rng.random() * args.think)  # people do not all click at the same moment
            while time.monotonic() < stop:
                page = rng.choice(PAGES)
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                started = time.perf_counter()
                connection.request("GET", page, headers={"Cookie": f"sessionid={cookie}"})
                response = connection.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if response.status == 200:
                        timings[page].append(elapsed)
                    else:
                        failures.append(f"{page}: {response.status}")
                time.sleep(args.think)

        people = [threading.Thread(target=person, args=(cookie,)) for cookie in cookies]
        for thread in people:
            thread.start()
        for thread in people:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"\n{args.users} people, a click every {args.think:g} s each, {args.seconds} s, gunicorn {args.workers} workers"
    )
    print(f"{'page':32s} {'requests':>9s} {'median ms':>10s} {'p95 ms':>8s}")
    for page, times in timings.items():
        if len(times) >= 2:
            p95 = statistics.quantiles(times, n=20)[-1]
            print(f"{page:32s} {len(times):9d} {statistics.median(times):10.1f} {p95:8.1f}")
    print(f"failed requests: {len(failures)}" + (f" ({', '.join(failures[:5])})" if failures else ""))


if __name__ == "__main__":
    main()
