"""What /healthz reports: can we reach the database, and the broker."""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from django.db.utils import DatabaseError


def database_state(alias: str = "default") -> dict:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "state": "down", "error": exc.__class__.__name__}
    return {"ok": True, "state": "up"}


def broker_state(broker_url: str | None = None, timeout: float = 2.0) -> dict:
    """``eager`` when no broker is configured (tasks run in-process), else ``up``/``down``."""
    from kombu import Connection

    url = settings.CELERY_BROKER_URL if broker_url is None else broker_url
    if not url or (broker_url is None and settings.CELERY_TASK_ALWAYS_EAGER):
        return {"ok": True, "state": "eager"}
    try:
        with Connection(url, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "down"
        return {"ok": False, "state": "down", "error": exc.__class__.__name__}
    return {"ok": True, "state": "up"}
