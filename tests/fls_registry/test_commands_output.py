"""A command prints its result and its errors, nothing else (no broker, no task log lines)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import database_url_of
from tests.patients.conftest import valid_values

ROOT = Path(__file__).resolve().parents[2]


def run(*args, database):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(DJANGO_SETTINGS_MODULE="fls_registry.settings", DATABASE_URL=database, LOG_LEVEL="INFO")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def database(transactional_db):
    from django.db import connection

    return database_url_of(connection.settings_dict)


def test_set_expected_caseload_prints_its_result_only(programme, database):
    done = run(
        "set_expected_caseload", programme.slug, "2026", "--non-spine", "820", "--spine", "190", database=database
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"{programme.slug} 2026: expected 820 non-spine, 190 spine\n",
        "",
    )


def test_import_patients_prints_its_result_only(programme, database, tmp_path):
    from patients.rules import COLUMNS

    row = valid_values()
    path = tmp_path / "one.csv"
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n")
    done = run("import_patients", programme.slug, str(path), database=database)
    assert (done.returncode, done.stdout, done.stderr) == (0, "created 1, updated 0, unchanged 0\n", "")


def test_an_unknown_programme_is_one_clear_error(database):
    done = run("import_patients", "no-such-programme", "-", database=database)
    assert done.returncode == 1
    assert done.stderr.strip() == "CommandError: no programme with slug 'no-such-programme'"
