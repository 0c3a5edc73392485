"""Apps depend only downwards (docs/architecture.md), in imports and in raw SQL.

The import rule is import-linter's contract in ``pyproject.toml`` (``make lint`` runs it, and so
does this test). Raw SQL names tables in strings, which no import checker sees: the second test
reads every string of every app and finds the tables it names.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
# Top to bottom, as in pyproject.toml's contract: an app may use itself and what is below it.
LAYERS = ["fls_registry", "mentorship", "recognition", "kpis", "patients", "programmes", "accounts", "clinical"]
TABLE_WORD = re.compile(r"\b[a-z][a-z0-9_]*\b")


def test_the_import_contract_holds():
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def project_tables() -> dict[str, str]:
    """Every table of the project's apps, with the app that owns it."""
    return {
        model._meta.db_table: model._meta.app_label
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in LAYERS
    }


def strings_of(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def tables_named(text: str, tables: dict[str, str]):
    for word in TABLE_WORD.findall(text):
        for table, owner in tables.items():
            # A table, or one of its sequences and indexes (patients_episode_id_seq).
            if word == table or word.startswith(table + "_"):
                yield table, owner


SOURCES = [path for app in LAYERS for path in sorted((ROOT / app).rglob("*.py")) if "migrations" not in path.parts]


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_raw_sql_names_only_tables_of_its_app_or_below(path):
    tables = project_tables()
    app = path.relative_to(ROOT).parts[0]
    allowed = set(LAYERS[LAYERS.index(app) :])
    for line, text in strings_of(path):
        for table, owner in tables_named(text, tables):
            assert owner in allowed, f"{path.relative_to(ROOT)}:{line} names {table} of {owner}, above {app}"


def test_the_table_check_finds_the_tables_a_query_names():
    tables = project_tables()
    found = set(
        tables_named(
            "SELECT 1 FROM patients_episode e JOIN kpis_kpiresult r ON nextval('patients_episode_id_seq')", tables
        )
    )
    assert found == {("patients_episode", "patients"), ("kpis_kpiresult", "kpis")}
