"""The two database roles: the owner, which runs migrations, backups and restores, and the
application role, which serves requests and runs tasks under row-level security.

- ``fls_owner``: owns the schema and every table; ``NOSUPERUSER NOBYPASSRLS`` (the patient tables
  ``FORCE`` row-level security, so even the owner goes through the policy's named path).
- ``fls_app``: ``LOGIN`` and nothing else: not an owner, not a superuser, no ``BYPASSRLS``; it gets
  ``SELECT, INSERT, UPDATE, DELETE`` on the tables after each ``migrate``.

``prepare()`` creates both (and the database) with an administrator's connection: the embedded
PostgreSQL of ``make run``, the tests' server (``DATABASE_ADMIN_URL``) and docker-compose's init
script use it. A production server may be prepared by its DBA instead (docs/security.md).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import quote, unquote, urlsplit, urlunsplit

OWNER_ROLE = "fls_owner"
APP_ROLE = "fls_app"
OWNER_ATTRIBUTES = "LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOBYPASSRLS"
APP_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
# The advisory lock that makes concurrent prepare() calls on one server wait for each other.
PREPARE_LOCK = 0x464C5352  # "FLSR"
CONNECTION_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


def connection_url(config: dict) -> str:
    """A ``postgres://`` URL for the connection ``config`` (Django's ``USER``, ``PASSWORD``, ``HOST``,
    ``PORT``, ``NAME``) that both libpq (psycopg, psql, pg_dump) and django-environ read the same
    way. A Unix socket directory goes in ``?host=``: libpq would read ``postgres://u@/%2Fdir/name``
    as a database called ``/dir/name`` on the default socket."""
    user = quote(config.get("USER") or "postgres", safe="")
    password = config.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}" if password else user
    name = quote(config["NAME"], safe="")
    host = config.get("HOST") or ""
    port = config.get("PORT") or ""
    if host.startswith("/"):
        query = f"?host={quote(host, safe='')}" + (f"&port={port}" if port else "")
        return f"postgres://{auth}@/{name}{query}"
    netloc = f"[{host}]" if ":" in host else host
    return f"postgres://{auth}@{netloc}" + (f":{port}" if port else "") + f"/{name}"


def socket_host_from_options(config: dict) -> dict:
    """django-environ puts ``?host=/socket/dir`` in ``OPTIONS``; the rest of the registry (backups,
    the roles, other processes) reads ``HOST``: move it there."""
    options = config.get("OPTIONS") or {}
    if not config.get("HOST") and options.get("host"):
        options = dict(options)
        config = {**config, "HOST": options.pop("host")}
        if options.get("port"):
            config["PORT"] = options.pop("port")
        config["OPTIONS"] = options
    return config


def url_as(url: str, role: str, database: str) -> str:
    """``url`` (an administrator's, on a trusted socket or host) for ``role`` on ``database``."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{quote(role, safe='')}@{host}", f"/{database}", parts.query, ""))


def prepare_from_url(admin_url: str, database: str) -> tuple[str, str]:
    """``prepare()`` with an administrator's URL (``DATABASE_ADMIN_URL``); returns the application's
    and the owner's URLs on the same server, without passwords (trust authentication)."""
    parts = urlsplit(admin_url)

    def conninfo(name: str) -> str:
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))

    prepare(conninfo, unquote(parts.path.lstrip("/")) or "postgres", database)
    return url_as(admin_url, APP_ROLE, database), url_as(admin_url, OWNER_ROLE, database)


def prepare(conninfo, admin_database: str, database: str, *, owner: str = OWNER_ROLE, app: str = APP_ROLE) -> None:
    """Create (or correct) both roles and the database, owned by ``owner``; idempotent.
    ``conninfo(name)`` is the administrator's connection string for the database ``name``."""
    import psycopg

    def connect(name: str):
        return psycopg.connect(conninfo(name), autocommit=True)

    with connect(admin_database) as conn:
        # Processes that start together (web processes, a worker, pytest-xdist's workers) prepare
        # one after the other: two ALTER ROLE of one role at once fail ("tuple concurrently
        # updated"). The lock is the session's, released when this connection closes.
        conn.execute("SELECT pg_advisory_lock(%s)", [PREPARE_LOCK])
        _prepare_locked(conn, connect, database, owner=owner, app=app)


def _prepare_locked(admin, connect, database: str, *, owner: str, app: str) -> None:
    from psycopg import sql

    for role, attributes in ((owner, OWNER_ATTRIBUTES), (app, APP_ATTRIBUTES)):
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
        verb = "ALTER" if exists else "CREATE"
        admin.execute(sql.SQL(f"{verb} ROLE {{}} {attributes}").format(sql.Identifier(role)))
    if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
        admin.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), sql.Identifier(owner)))
    else:
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(owner)))
    with connect(database) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
        # Tables made before the roles existed (an older embedded database) move to the owner.
        rows = conn.execute(
            """
            SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) <> %s
            """,
            [owner],
        ).fetchall()
        for name, kind in rows:
            what = {"v": "VIEW", "m": "MATERIALIZED VIEW"}.get(kind, "TABLE")
            conn.execute(
                sql.SQL(f"ALTER {what} {{}} OWNER TO {{}}").format(sql.Identifier(name), sql.Identifier(owner))
            )


def grant_application(cursor, app: str) -> None:
    """As the owner: the application role may read and write rows, never change the schema."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", app):
        raise ValueError(f"not a plain role name: {app!r}")
    cursor.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{app}"')
    cursor.execute(f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{app}"')


@contextmanager
def as_owner(alias: str = "default"):
    """Run the block on ``alias``'s database as the owner role (``DATABASE_OWNER_URL``)."""
    from django.conf import settings
    from django.db import connections

    connection = connections[alias]
    owner = settings.DATABASE_OWNER
    saved = {key: connection.settings_dict.get(key) for key in CONNECTION_KEYS}
    if alias != "default" or all(saved[key] == owner.get(key) for key in CONNECTION_KEYS):
        yield connection
        return
    connection.close()
    connection.settings_dict.update(owner)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)
