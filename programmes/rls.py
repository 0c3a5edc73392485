"""Row-level security: the database's own wall between programmes, behind the ORM's.

Every table that holds patient-level rows (patients, episodes, their audit trail, the access log)
has ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` and one policy: a row is visible and
writable only when its ``programme_id`` equals the transaction's ``fls.programme_id`` setting, or
when the transaction took the named cross-programme path (``fls.all_programmes`` holds its reason,
signed: see below).
A query that forgot its programme filter therefore returns only the resolved programme's rows, and
a transaction that set nothing sees nothing at all.

The settings are ``SET LOCAL`` (``set_config(..., true)``): they end with the transaction, so a
pooled or persistent connection never carries one request's programme into the next.

Who sets them:
- web and API requests: ``resolve_programme_access`` calls ``activate()`` with the programme it
  resolved; ``RowSecurityMiddleware`` gives the request the transaction that carries it;
- services (patient writes, imports, the access log, KPI reports), Celery tasks and management
  commands: ``programme_scope(programme_id)`` around their work;
- cross-programme aggregates and administration: ``all_programmes(Reason.X)``, the one named path,
  or ``activate_all_programmes(Reason.X)`` for the rest of a request (the admin's lists).

The database decides who may take the cross-programme path, not the setting alone: the policy asks
``fls_all_programmes()`` (programmes migration 0010), which accepts ``reason:signature`` only when
the signature is this transaction's (``fls_transaction_nonce()``: the connection's process and the
transaction's start) under ``CROSS_PROGRAMME_KEY``. The application role cannot read the key in the
database (schema ``fls_private``, the owner's); the ``migrate`` command stores it there
(``store_key``). So a raw query, injected or careless, that sets ``fls.all_programmes`` itself sees
no other programme; only this module's code, which holds the key, opens the path. The owner's
connections (migrations, backups, restores) may name a bare reason.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
from contextlib import contextmanager
from enum import StrEnum

from django.db import connections, transaction

PROGRAMME_SETTING = "fls.programme_id"
ALL_PROGRAMMES_SETTING = "fls.all_programmes"


@functools.cache
def protected_tables() -> frozenset[str]:
    """The tables under the policy: every model that says ``ROW_SECURITY = True`` (patients,
    episodes, the audit trail, the access log); each has a migration that applies ``policy_sql``."""
    from django.apps import apps

    return frozenset(model._meta.db_table for model in apps.get_models() if getattr(model, "ROW_SECURITY", False))


class Reason(StrEnum):
    """Why a transaction reads or writes every programme's rows: each use names one."""

    KPI_ENGINE = "kpi-engine"  # the set-based recompute of every programme's figures
    ADMINISTRATION = "administration"  # system administrators' admin lists and the access log
    DEMO_DATA = "demo-data"  # load_demo builds several programmes at once
    MAINTENANCE = "maintenance"  # backup, restore, data migrations
    RETENTION = "retention"  # the nightly deletion of data kept for a limited time (case finding)
    MONITORING = "monitoring"  # /metrics: counts of every programme's import jobs, never a row


class ScopeError(RuntimeError):
    """The programme setting could not be applied as asked."""


def _condition(global_rows: bool) -> str:
    """The policy's condition. The setting and the cross-programme check are each read in a scalar
    subquery, which PostgreSQL evaluates once per statement (an InitPlan) instead of once per row:
    on 50,000 episodes the difference is most of a count's time."""
    scoped = (
        f"programme_id = (SELECT NULLIF(current_setting('{PROGRAMME_SETTING}', true), '')::bigint) "
        "OR (SELECT fls_all_programmes())"
    )
    return f"programme_id IS NULL OR {scoped}" if global_rows else scoped


def policy_sql(table: str, *, global_rows: bool = False) -> str:
    """The SQL that puts ``table`` under the policy (used by the migrations)."""
    scoped = _condition(global_rows)
    return (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; "
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY; "
        f"CREATE POLICY programme_isolation ON {table} USING ({scoped}) WITH CHECK ({scoped});"
    )


def policy_update_sql(table: str, *, global_rows: bool = False) -> str:
    """The SQL that brings an existing policy on ``table`` to the condition above."""
    scoped = _condition(global_rows)
    return f"ALTER POLICY programme_isolation ON {table} USING ({scoped}) WITH CHECK ({scoped});"


def unpolicy_sql(table: str) -> str:
    return (
        f"DROP POLICY IF EXISTS programme_isolation ON {table}; "
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; "
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
    )


def _read(cursor) -> tuple[str, str]:
    cursor.execute(
        "SELECT COALESCE(current_setting(%s, true), ''), COALESCE(current_setting(%s, true), '')",
        [PROGRAMME_SETTING, ALL_PROGRAMMES_SETTING],
    )
    return cursor.fetchone()


def _reason(claim: str) -> str:
    """The reason of a (signed) ``fls.all_programmes`` value."""
    return claim.partition(":")[0]


def signature(key: str, nonce: str, reason: str) -> str:
    """The cross-programme path's signature (``fls_all_programmes()`` computes the same): a hash of
    the key and a hash of the key, the transaction's nonce and the reason."""
    inner = hashlib.sha256(f"{key}:{nonce}:{reason}".encode()).hexdigest()
    return hashlib.sha256(f"{key}:{inner}".encode()).hexdigest()


def signed_claim(cursor, reason: str) -> str:
    """``reason:signature`` for the transaction ``cursor`` is in (its connection and its start)."""
    from django.conf import settings

    cursor.execute("SELECT fls_transaction_nonce()")
    nonce = cursor.fetchone()[0]
    return f"{reason}:{signature(settings.CROSS_PROGRAMME_KEY, nonce, reason)}"


def _write(cursor, values: dict[str, str]) -> None:
    """Set the settings, all in one round trip, for the rest of the transaction; a bare reason for
    the cross-programme path is signed first (a value read back is already signed)."""
    claim = values.get(ALL_PROGRAMMES_SETTING)
    if claim and ":" not in claim:
        values = {**values, ALL_PROGRAMMES_SETTING: signed_claim(cursor, claim)}
    calls = ", ".join("set_config(%s, %s, true)" for _ in values)
    cursor.execute(f"SELECT {calls}", [part for item in values.items() for part in item])  # noqa: S608


def store_key(cursor) -> None:
    """As the tables' owner (``migrate``, a restore): give the database the application's key, once
    it is migrated far enough to have the key's table."""
    from django.conf import settings

    cursor.execute("SELECT to_regclass('fls_private.cross_programme_key') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return
    cursor.execute(
        "INSERT INTO fls_private.cross_programme_key (id, key) VALUES (1, %s) "
        "ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key",
        [settings.CROSS_PROGRAMME_KEY],
    )


def current(using: str = "default") -> tuple[int | None, str]:
    """(the programme id, the cross-programme reason or '') in effect for this transaction."""
    with connections[using].cursor() as cursor:
        programme, claim = _read(cursor)
    return (int(programme) if programme else None), _reason(claim)


# --- Requests: the middleware's transaction and activate() ------------------------------------


class _RequestState:
    def __init__(self):
        self.atomics: list = []
        self.restore: dict[tuple[str, str], str] = {}  # settings to put back in a transaction not ours
        self.programme: dict[str, str] = {}  # per connection: the programme activate() scoped it to


_request_state: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar("rls_request", default=None)


def _activate(values: dict[str, str], using: str) -> None:
    state = _request_state.get()
    connection = connections[using]
    if not connection.in_atomic_block:
        if state is None:
            raise ScopeError(
                "activate() needs a transaction: outside a request use programme_scope() or all_programmes()"
            )
        atomic = transaction.atomic(using=using)
        atomic.__enter__()
        state.atomics.append(atomic)
    with connection.cursor() as cursor:
        if state is not None and not state.atomics:
            # A transaction the request did not open (a test's): leave it as it was found.
            found = dict(zip((PROGRAMME_SETTING, ALL_PROGRAMMES_SETTING), _read(cursor), strict=True))
            for name in values:
                state.restore.setdefault((using, name), found[name])
        _write(cursor, values)
    if state is not None:
        if values.get(ALL_PROGRAMMES_SETTING, "") == "" and values.get(PROGRAMME_SETTING):
            state.programme[using] = values[PROGRAMME_SETTING]
        else:
            state.programme.pop(using, None)


def request_scoped_to(programme_id: int, using: str = "default") -> bool:
    """Whether this request's transaction is scoped to this programme, and to it only (``activate``):
    a single write in it needs no scope of its own. Nothing is read from the database; if the
    settings were changed behind this record, the policy still refuses the write."""
    state = _request_state.get()
    return (
        state is not None
        and connections[using].in_atomic_block
        and state.programme.get(using) == str(int(programme_id))
    )


def activate(programme_id: int, using: str = "default") -> None:
    """Scope the rest of the current transaction (a request's) to one programme, and to it only."""
    _activate({PROGRAMME_SETTING: str(int(programme_id)), ALL_PROGRAMMES_SETTING: ""}, using)


def activate_all_programmes(reason: Reason, using: str = "default") -> None:
    """Open every programme's rows for the rest of the current request (the admin's lists)."""
    _activate({ALL_PROGRAMMES_SETTING: Reason(reason).value}, using)


class RowSecurityMiddleware:
    """Gives a request that resolves a programme one transaction, from ``activate()`` until its
    response is built (templates render inside it), so that the ``SET LOCAL`` holds for every
    query of the request. Requests that resolve none run as before, without a transaction. A
    response of 500 or more rolls the request's writes back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = _RequestState()
        token = _request_state.set(state)
        response = None
        try:
            response = self.get_response(request)
        finally:
            _request_state.reset(token)
            failed = response is None or response.status_code >= 500
            for atomic in reversed(state.atomics):
                if failed:
                    transaction.set_rollback(True, using=atomic.using)
                atomic.__exit__(None, None, None)
            for (using, name), value in state.restore.items():
                if not connections[using].needs_rollback:
                    with connections[using].cursor() as cursor:
                        _write(cursor, {name: value})
        return response


# --- Everything else: context managers -------------------------------------------------------


@contextmanager
def _scoped(name: str, value: str, using: str):
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            before = dict(zip((PROGRAMME_SETTING, ALL_PROGRAMMES_SETTING), _read(cursor), strict=True))
            if name == PROGRAMME_SETTING and before[name] not in ("", value):
                raise ScopeError(f"this transaction is scoped to programme {before[name]}, not {value}")
            # Nested in the same scope (a service inside a request, a path inside the same path).
            unchanged = (_reason(before[name]) if name == ALL_PROGRAMMES_SETTING else before[name]) == value
            if not unchanged:
                _write(cursor, {name: value})
        yield
        # Reached only without an exception: on one, the savepoint's rollback undoes the setting.
        if not unchanged:
            with connections[using].cursor() as cursor:
                _write(cursor, {name: before[name]})


@contextmanager
def programme_scope(programme_id: int, using: str = "default"):
    """A transaction (or savepoint) scoped to one programme; nests inside the same programme's."""
    with _scoped(PROGRAMME_SETTING, str(int(programme_id)), using):
        yield


@contextmanager
def all_programmes(reason: Reason, using: str = "default"):
    """The named cross-programme path: every programme's rows, for ``reason``."""
    with _scoped(ALL_PROGRAMMES_SETTING, Reason(reason).value, using):
        yield


def scoped_to(programme_id_of):
    """Run a keyword-only service in ``programme_scope`` of the programme its arguments name:
    ``@rls.scoped_to(lambda episode, **_: episode.programme_id)``."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with programme_scope(programme_id_of(**kwargs)):
                return function(*args, **kwargs)

        return wrapper

    return decorate


def scoped_stream(programme_id: int, chunks):
    """A streamed response's body, produced after the request's transaction has ended: it opens
    its own, scoped to the programme, for as long as the stream runs."""
    with programme_scope(programme_id):
        yield from chunks
