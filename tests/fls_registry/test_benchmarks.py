"""The benchmarks' own plumbing: verdicts against targets, the summary table, and a clear message
(not a traceback) on a database that is not migrated. The figures themselves are never tested."""

import os
import subprocess
import sys
from pathlib import Path

from bench.all import table
from bench.report import met

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_figure_is_judged_against_its_target():
    assert met(2.9, "<", 3) is True
    assert met(3.0, "<", 3) is False
    assert met(4.0, "<=", 4) is True
    assert met(119.9, ">=", 120) is False
    assert met(12.0, None, None) is None


def summary(version, rows):
    return {"server": {"version": version, "settings": {}}, "profile": [], "rows": rows}


def test_the_table_has_one_column_per_server_and_marks_what_is_not_met():
    row = {"what": "nightly", "unit": "ms", "op": "<", "target": 3000}
    results = {
        "machine": {"kpi": summary("15.20", [{**row, "value": 3500.0}])},
        "embedded": {"kpi": summary("16.2", [{**row, "value": 1800.0}])},
    }
    lines = table(results, ["machine", "embedded"])
    assert lines[0].startswith(
        "| benchmark | figure | target | PostgreSQL 15.20 (machine) | PostgreSQL 16.2 (embedded) |"
    )
    assert "| kpi | nightly | < 3,000 ms | 3,500 ms ✗ not met | 1,800 ms ✓ |" in lines
    assert "| load | (did not run) | |  |  |" in lines


def test_a_benchmark_on_a_database_not_migrated_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env["DATABASE_NAME"] = "fls_bench_never_migrated"
    result = subprocess.run(
        [sys.executable, "bench/kpi_bench.py", "--programmes", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "the database is not migrated" in result.stderr
    assert "manage.py migrate" in result.stderr
    assert "Traceback" not in result.stderr
