"""What every benchmark prints for ``bench/all.py`` besides its own lines.

A benchmark ends with ``summary(name, rows)``: one line ``BENCH-SUMMARY {json}`` holding its
headline figures, each with the target it is held to (or none). ``bench/all.py`` runs every
benchmark and turns those lines into one markdown table.
"""

from __future__ import annotations

import json
import operator
import os
import platform

OPERATORS = {"<": operator.lt, "<=": operator.le, ">=": operator.ge, ">": operator.gt}
SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather", "jit")


def met(value: float, op: str | None, target: float | None) -> bool | None:
    """Whether ``value op target`` holds; None when the figure has no target."""
    if op is None or target is None:
        return None
    return OPERATORS[op](value, target)


def summary(bench: str, rows: list[tuple], profile: list[str] | None = None) -> None:
    """Print the headline figures: rows of (what, value, unit, operator or None, target or None), and
    where the time went (``profile``: lines ``bench/all.py`` shows when a target is not met)."""
    print(
        "BENCH-SUMMARY "
        + json.dumps(
            {
                "bench": bench,
                "server": server(),
                "profile": profile or [],
                "rows": [
                    {"what": what, "value": value, "unit": unit, "op": op, "target": target}
                    for what, value, unit, op, target in rows
                ],
            }
        )
    )


def server() -> dict:
    """The PostgreSQL server the benchmark ran on: version and the settings that matter here."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
        values = {}
        for name in SETTINGS:
            cursor.execute("SELECT current_setting(%s)", [name])
            values[name] = cursor.fetchone()[0]
    return {"version": version, "settings": values}


def machine() -> str:
    """This machine, in one line: CPU model and count, memory, operating system."""
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kb = int(next(line.split()[1] for line in handle if line.startswith("MemTotal")))
        memory = f", {kb / 1024 / 1024:.0f} GB memory"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} CPUs ({model or platform.processor() or 'unknown'}){memory}, {platform.platform()}"
