"""What a test's transaction wrote: PostgreSQL's own counters, one query.

Row-level security hides other programmes' rows (and, without a scope, every patient row) from a
count, so "nothing changed" cannot be checked by counting rows. ``pg_stat_xact_user_tables``
counts every row inserted, updated or deleted so far in the transaction, whoever can see it, and
even when a savepoint later undid the write.
"""

from django.apps import apps
from django.db import connection

PROJECT_APPS = ["accounts", "programmes", "patients", "kpis", "recognition", "mentorship", "network"]


def project_tables() -> list[str]:
    return [
        model._meta.db_table
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


def rows_written() -> int:
    """Rows inserted, updated or deleted in the project's tables so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = ANY(%s)",
            [project_tables()],
        )
        return cursor.fetchone()[0]
