"""Backups of the database with PostgreSQL's own tools: ``pg_dump --format=custom`` and
``pg_restore`` (``make backup``, ``make restore FILE=...``).

The tools are chosen to suit the server: pg_dump must be at least the server's major version, so
the newest one available is used (the embedded PostgreSQL ships its own, version 16; a host's
Debian packages may hold an older one). Connection details come from the Django settings, passed
in the environment (``PGHOST``, ``PGPASSWORD``...), never on the command line.

Both run as the tables' owner (``DATABASE_OWNER_URL``). The patient tables force row-level
security even on their owner, so the tools take the named cross-programme path for maintenance
(``fls.all_programmes``, given in ``PGOPTIONS``): pg_dump with ``--enable-row-security`` and
rows as ``INSERT`` statements, since COPY refuses a table under a policy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connections

from fls_registry.dbroles import as_owner, grant_application
from programmes import rls
from programmes.rls import ALL_PROGRAMMES_SETTING, Reason


class BackupError(RuntimeError):
    pass


def _candidates(tool: str) -> list[str]:
    found = []
    try:
        import pgserver

        bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / tool
        if bundled.exists():
            found.append(str(bundled))
    except ImportError:  # pragma: no cover - Python 3.13+
        pass
    on_path = shutil.which(tool)
    if on_path:
        found.append(on_path)
    return found


def _major(binary: str) -> int:
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"\(PostgreSQL\)\s+(\d+)", output).group(1))


def server_major(alias: str = "default") -> int:
    return connections[alias].pg_version // 10000


def tool_for(tool: str, alias: str = "default") -> str:
    """The newest ``tool`` that is at least the server's major version."""
    needed = server_major(alias)
    usable = sorted(((_major(binary), binary) for binary in _candidates(tool)), reverse=True)
    usable = [(major, binary) for major, binary in usable if major >= needed]
    if not usable:
        raise BackupError(f"{tool} {needed} or newer is needed (install postgresql-client-{needed})")
    return usable[0][1]


def environment(database: str | None = None, alias: str = "default") -> dict:
    config = settings.DATABASES[alias]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": config.get("HOST") or "",
        "PGPORT": str(config.get("PORT") or ""),
        "PGUSER": config.get("USER") or "",
        "PGPASSWORD": config.get("PASSWORD") or "",
        "PGDATABASE": database or config["NAME"],
        "PGOPTIONS": f"-c {ALL_PROGRAMMES_SETTING}={Reason.MAINTENANCE.value}",
    }
    env.update({key: value for key, value in values.items() if value})
    return env


def backup(path: Path, alias: str = "default") -> Path:
    """Dump the whole database (schema and rows, owners left out) to ``path`` in the custom format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with as_owner(alias):
        command = [
            tool_for("pg_dump", alias),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--enable-row-security",
            "--inserts",
            "--rows-per-insert=1000",
            "--file",
            str(path),
        ]
        result = subprocess.run(command, env=environment(alias=alias), capture_output=True, text=True)
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        raise BackupError(result.stderr.strip() or "pg_dump failed")
    return path


def restore(path: Path, database: str | None = None, alias: str = "default") -> str:
    """Restore ``path`` into ``database`` (default: the configured one), creating it if it does not
    exist; objects already there are dropped first (``--clean --if-exists``). One transaction: a
    failed restore leaves the database as it was."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    target = database or settings.DATABASES[alias]["NAME"]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", target):
        raise BackupError(f"{target!r} is not a plain database name")
    with as_owner(alias):
        _restore(path, target, alias)
    return target


def _restore(path: Path, target: str, alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target])
        exists = cursor.fetchone() is not None
    if not exists:
        with connections[alias].cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{target}"')  # noqa: S608 - a checked plain name
    result = subprocess.run(
        [
            tool_for("pg_restore", alias),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            target,
            str(path),
        ],
        env=environment(target, alias),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or "pg_restore failed")
    # As the owner: this deployment's key for the cross-programme path (programmes/rls.py), which
    # a backup of another deployment does not hold, and the application role's grants.
    import psycopg

    environ = environment(target, alias)
    with (
        psycopg.connect(
            host=environ.get("PGHOST"),
            port=environ.get("PGPORT"),
            user=environ.get("PGUSER"),
            password=environ.get("PGPASSWORD"),
            dbname=target,
            autocommit=True,
        ) as conn,
        conn.cursor() as cursor,
    ):
        rls.store_key(cursor)
        app = settings.DATABASE_APP_ROLE
        if app and app != settings.DATABASE_OWNER.get("USER"):
            grant_application(cursor, app)
