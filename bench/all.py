"""Every benchmark in sequence, on one or both PostgreSQL servers, into one markdown table.

    .venv/bin/python bench/all.py                  # on what the environment names (or the embedded one)
    .venv/bin/python bench/all.py --both           # the machine's server (DATABASE_ADMIN_URL) and the embedded 16
    .venv/bin/python bench/all.py --only kpi,public --quick
    .venv/bin/python bench/all.py --both --output bench/results.md

Each benchmark runs in its own process against its own database, ``fls_bench_<name>`` (its data is
made once and reused), and the load benchmark on ``fls_load``, the demo data (loaded by this script
when it is missing).
On the machine's server the databases are created through ``DATABASE_ADMIN_URL``; the embedded
server makes them under ``.data``. Each is migrated first. Every benchmark ends with a
``BENCH-SUMMARY`` line (bench/report.py); this script gathers them into a table of figures against
their targets, states the machine, each server's version and settings, and, for every target not
met, the profile the benchmark printed of where its time went. ``--quick`` runs shorter versions
(fewer requests, a 30 s load run) for a smoke test; the figures of record come without it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import machine, met  # noqa: E402 - after the path is set

BENCHES = {
    "kpi": (["bench/kpi_bench.py", "--sample", "5"], ["bench/kpi_bench.py", "--sample", "2"]),
    "public": (["bench/public_bench.py"], ["bench/public_bench.py", "--requests", "20"]),
    "list": (["bench/list_bench.py"], ["bench/list_bench.py", "--requests", "15"]),
    "freshness": (["bench/freshness_bench.py"], ["bench/freshness_bench.py", "--edits", "40"]),
    "import": (["bench/import_bench.py", "100000"], ["bench/import_bench.py", "20000", "--sizes", "20000"]),
    "matching": (["bench/matching_bench.py"], ["bench/matching_bench.py", "--repeat", "1"]),
    "casefinding": (
        ["bench/casefinding_bench.py"],
        ["bench/casefinding_bench.py", "--records", "20000", "--small", "2000"],
    ),
    "load": (
        ["bench/load_bench.py", "--suite", "--seconds", "60"],
        ["bench/load_bench.py", "--suite", "--seconds", "30"],
    ),
}
# Each benchmark on its own database, so that one's data never weighs on another's figures (the
# nightly recompute computes every programme in its database, the map shows every one).
DATABASES = {name: f"fls_bench_{name}" for name in BENCHES} | {"load": "fls_load"}
MACHINE_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def environments(both: bool) -> list[tuple[str, dict]]:
    """(name, environment) of each server to run on."""
    named = ("DATABASE_URL", "DATABASE_ADMIN_URL", "DATABASE_NAME", "REDIS_URL")
    base = {k: v for k, v in os.environ.items() if k not in named}
    admin = os.environ.get("DATABASE_ADMIN_URL") or (MACHINE_ADMIN_URL if both else "")
    machine_env = {
        **base,
        "DATABASE_ADMIN_URL": admin,
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11",
    }
    embedded_env = dict(base)
    if both:
        if reachable(admin):
            return [("machine", machine_env), ("embedded", embedded_env)]
        print(f"no PostgreSQL answers at {admin}: the embedded one only", file=sys.stderr)
        return [("embedded", embedded_env)]
    if os.environ.get("DATABASE_URL"):  # one database named by the URL: every benchmark on it
        return [("configured", {**base, "DATABASE_URL": os.environ["DATABASE_URL"]})]
    return [("machine", machine_env)] if admin else [("embedded", embedded_env)]


def reachable(url: str) -> bool:
    """Whether the machine's server answers (a fresh machine has none: then only the embedded runs)."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def prepare(env: dict, database: str, demo: bool) -> None:
    """Migrate the benchmark's database; load the demo into it when asked and missing."""
    env = {**env, "DATABASE_NAME": database}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    if demo:
        check = subprocess.run(
            [*manage, "shell", "-c", "from programmes.models import Programme; print(Programme.objects.count())"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        if int(check.stdout.strip().splitlines()[-1] or 0) == 0:
            subprocess.run([*manage, "load_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def run(name: str, env: dict, quick: bool, log) -> dict | None:
    command = BENCHES[name][1 if quick else 0]
    env = {**env, "DATABASE_NAME": DATABASES[name]}
    started = time.monotonic()
    result = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    log.write(f"\n===== {name}: {' '.join(command)} ({time.monotonic() - started:.0f} s)\n")
    log.write(result.stdout)
    log.write(result.stderr[-4000:])
    log.flush()
    found = [line for line in result.stdout.splitlines() if line.startswith("BENCH-SUMMARY ")]
    if result.returncode != 0 or not found:
        print(f"  {name}: failed (exit {result.returncode}); see the log", file=sys.stderr)
        return None
    return json.loads(found[-1].removeprefix("BENCH-SUMMARY "))


def figure(value: float, unit: str) -> str:
    if unit == "" and float(value).is_integer():
        return f"{int(value)}"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(results: dict[str, dict[str, dict]], servers: list[str]) -> list[str]:
    """The markdown lines: one row per figure, one column per server."""
    labels = {name: server_label(results, name) for name in servers}
    lines = [
        "| benchmark | figure | target | " + " | ".join(labels[s] for s in servers) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in servers) + " |",
    ]
    for bench in BENCHES:
        rows_by_server = {s: results.get(s, {}).get(bench) for s in servers}
        reference = next((r for r in rows_by_server.values() if r), None)
        if reference is None:
            lines.append(f"| {bench} | (did not run) | | " + " | ".join("" for _ in servers) + " |")
            continue
        for index, row in enumerate(reference["rows"]):
            target = "" if row["op"] is None else f"{row['op']} {figure(row['target'], row['unit'])}"
            cells = []
            for server in servers:
                summary = rows_by_server[server]
                if summary is None or index >= len(summary["rows"]):
                    cells.append("failed" if summary is None else "")
                    continue
                mine = summary["rows"][index]
                verdict = met(mine["value"], mine["op"], mine["target"])
                mark = "" if verdict is None else (" ✓" if verdict else " ✗ not met")
                cells.append(figure(mine["value"], mine["unit"]) + mark)
            lines.append(f"| {bench} | {row['what']} | {target} | " + " | ".join(cells) + " |")
    return lines


def server_label(results: dict, name: str) -> str:
    any_summary = next(iter(results.get(name, {}).values()), None)
    version = any_summary["server"]["version"] if any_summary else "?"
    return f"PostgreSQL {version} ({name})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--both", action="store_true", help="the machine's PostgreSQL and the embedded one")
    parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(BENCHES)}")
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke test, not figures of record)")
    parser.add_argument("--output", default="", help="also write the markdown to this file")
    args = parser.parse_args()
    chosen = [name for name in BENCHES if not args.only or name in args.only.split(",")]
    unknown = set(filter(None, args.only.split(","))) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    log_path = ROOT / ".data" / "bench-all.log"
    log_path.parent.mkdir(exist_ok=True)
    results: dict[str, dict[str, dict]] = {}
    started = datetime.now(UTC)
    with log_path.open("w") as log:
        for server, env in environments(args.both):
            print(f"{server}:", file=sys.stderr)
            for name in chosen:
                prepare(env, DATABASES[name], demo=name == "load")
            results[server] = {}
            for name in chosen:
                print(f"  {name} ...", file=sys.stderr)
                summary = run(name, env, args.quick, log)
                if summary is not None:
                    results[server][name] = summary
    servers = list(results)
    lines = [
        f"Measured {started:%Y-%m-%d %H:%M} UTC to {datetime.now(UTC):%H:%M} UTC"
        + (" (quick runs: a smoke test, not figures of record)" if args.quick else "")
        + f"; machine: {machine()}. The machine is shared and noisy: figures move by 10-30 % between runs.",
        "",
    ]
    for server in servers:
        any_summary = next(iter(results[server].values()), None)
        if any_summary:
            settings = ", ".join(f"{k} {v}" for k, v in any_summary["server"]["settings"].items())
            lines.append(f"- {server_label(results, server)}: {settings}")
    lines += ["", *table(results, servers)]
    unmet = []
    for server in servers:
        for name, summary in results[server].items():
            if any(met(r["value"], r["op"], r["target"]) is False for r in summary["rows"]) and summary["profile"]:
                unmet.append((server, name, summary["profile"]))
    for server, name, profile in unmet:
        lines += ["", f"Where the time goes, {name} on {server_label(results, server)} (a target is not met):", ""]
        lines += [f"- {line}" for line in profile]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text(text)
    print(f"(each benchmark's own output: {log_path})", file=sys.stderr)


if __name__ == "__main__":
    main()
