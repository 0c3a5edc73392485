"""Apps depend only downwards (docs/architecture.md), in imports and in raw SQL.

The import rule is import-linter's contract in ``pyproject.toml``, which ``make lint`` checks
(``lint-imports``) before the tests run. Raw SQL names tables in strings, which no import checker
sees: the tests below read every string of every app and find the tables it names, against the
same contract's layers; and every app of the project must be in it.
"""

import ast
import re
import tomllib
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
# Top to bottom: an app may use itself and what is below it.
LAYERS = CONTRACT["contracts"][0]["layers"]
TABLE_WORD = re.compile(r"\b[a-z][a-z0-9_]*\b")


def test_every_package_of_the_project_is_a_layer_of_the_contract():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    apps_here = {name.split(".")[0] for name in settings.INSTALLED_APPS if (ROOT / name.split(".")[0]).is_dir()}
    assert apps_here <= packages
    assert set(LAYERS) == packages == set(CONTRACT["root_packages"])


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
