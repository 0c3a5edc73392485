"""Bulk writes and per-statement settings, shared by the importer (patients) and the KPI store (kpis).

``copy_into`` sends rows in COPY's text format (``copy_escape`` writes a value for it). COPY refuses
a table under row-level security (programmes/rls.py), and cannot upsert: for either, the rows go
to a temporary staging table and then through the policy with one ``INSERT … SELECT``.

``statement_settings`` gives the statements of a block their own planner settings, put back after
it (the KPI engine turns JIT off; the importer's lookups turn sequential scans off).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

from programmes import rls

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = frozenset("\\\t\n\r")


def copy_escape(text: str) -> str:
    """``text`` as a value of COPY's text format: a backslash, tab or line end written as an escape."""
    return text if _NEEDS_ESCAPE.isdisjoint(text) else text.translate(_ESCAPES)


def copy_row(values) -> str:
    """One line of COPY's text format: each value as text (``copy_escape``), None as NULL."""
    return "\t".join("\\N" if value is None else copy_escape(str(value)) for value in values) + "\n"


def copy_into(cursor, table: str, columns: Sequence[str], text: str, *, on_conflict: str = "") -> None:
    """COPY ``text`` (lines of tab-separated values) into ``table``; ``on_conflict``: the clause of the
    ``INSERT`` that takes the rows from the staging table (an upsert). ``cursor``: a psycopg cursor
    in the caller's transaction."""
    if not text:
        return
    names = ", ".join(columns)
    if table not in rls.protected_tables() and not on_conflict:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write(text)
        return
    stage = f"stage_{table}"
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608
    )
    cursor.execute(f"TRUNCATE {stage}")  # two calls may share one transaction
    with cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        copy.write(text)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {on_conflict}")  # noqa: S608


@contextmanager
def statement_settings(cursor, values: dict[str, str]):
    """``values`` (setting -> value) for the statements of the block, put back as they were after
    it. Inside a transaction: a failure leaves them to its rollback (or its savepoint's)."""
    names = list(values)
    cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
    before = dict(zip(names, cursor.fetchone(), strict=True))
    _set(cursor, values)
    yield
    _set(cursor, before)


def _set(cursor, values: dict[str, str]) -> None:
    calls = ", ".join(["set_config(%s, %s, true)"] * len(values))
    cursor.execute(f"SELECT {calls}", [part for item in values.items() for part in item])  # noqa: S608
