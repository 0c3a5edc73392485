"""Settings come from the environment; production refuses unsafe defaults; embedded start-up works."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-value-0123456789",
    "DJANGO_ALLOWED_HOSTS": "fls.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/fls_registry",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def django_python(code: str, **env_changes):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "CELERY_"))}
    env["DJANGO_SETTINGS_MODULE"] = "fls_registry.settings"
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


REFUSALS = [
    ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
    ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY must be set"),
    ({"DJANGO_SECRET_KEY": "a" * 60}, "DJANGO_SECRET_KEY must be set"),  # long, but one letter repeated
    ({"DJANGO_SECRET_KEY": "abab" * 20}, "DJANGO_SECRET_KEY must be set"),
    ({"DJANGO_SECRET_KEY": "django-insecure-" + "x1y2z3w4v5" * 5}, "DJANGO_SECRET_KEY must be set"),
    ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must be false"),
    ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS must list"),
    ({"EMAIL_URL": None}, "EMAIL_URL must configure SMTP"),
]
# Reads the settings module afresh under each environment, in one process (a Python process that
# imports Django costs about a second): what each start-up would have said, as JSON.
START_EACH = """
import importlib, json, os, sys
results = []
for environment in json.loads(sys.argv[1]):
    for key in [k for k in os.environ if k.startswith(("DJANGO_", "EMAIL_", "DATABASE_"))]:
        del os.environ[key]
    os.environ.update(environment)
    sys.modules.pop("fls_registry.settings", None)
    try:
        importlib.import_module("fls_registry.settings")
        results.append("started")
    except Exception as error:
        results.append(f"{type(error).__name__}: {error}")
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def refusals() -> list[str]:
    environments = []
    for change, _complaint in REFUSALS:
        environment = {**PRODUCTION, **change}
        environments.append({key: value for key, value in environment.items() if value is not None})
    result = subprocess.run(
        [sys.executable, "-c", START_EACH, json.dumps([PRODUCTION, *environments])],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "CELERY_"))},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    started, *answers = json.loads(result.stdout)
    assert started == "started"  # the production environment itself starts: the refusals come from each change
    return answers


@pytest.mark.parametrize(("index", "complaint"), [(n, complaint) for n, (_c, complaint) in enumerate(REFUSALS)])
def test_production_refuses_to_start_with_unsafe_settings(refusals, index, complaint):
    answer = refusals[index]
    assert answer.startswith("ImproperlyConfigured: Refusing to start in production")
    assert complaint in answer


def test_an_unsafe_production_start_stops_the_process():
    result = django_python("print('started')", **{**PRODUCTION, "DJANGO_DEBUG": "true"})
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert "DJANGO_DEBUG must be false" in result.stderr
    assert "started" not in result.stdout


def test_production_settings_come_from_the_environment():
    result = django_python(
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.EMAIL_BACKEND, s.EMAIL_HOST, s.SESSION_COOKIE_SECURE, s.TIME_ZONE,"
        " s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.PASSWORD_HASHERS[0])",
        **PRODUCTION,
        TIME_ZONE="Europe/Moscow",
        CELERY_BROKER_URL="redis://redis:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "['fls.example.org']",
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        "True",
        "Europe/Moscow",
        "False",
        "redis://redis:6379/0",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # the tests' MD5 is theirs alone
    ]


def test_development_defaults_run_tasks_eagerly_and_mail_to_the_console():
    result = django_python(
        "from django.conf import settings as s; print(s.DEBUG, s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)",
        DATABASE_URL=PRODUCTION["DATABASE_URL"],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "django.core.mail.backends.console.EmailBackend"]


def test_without_database_url_an_embedded_postgresql_starts(tmp_path):
    result = django_python(
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('select version()'); print(c.fetchone()[0]);"
        "c.execute('select current_user, rolsuper, rolbypassrls from pg_roles where rolname = current_user');"
        "print(*c.fetchone());"
        # Another process reaches the same database by the URL the tests hand to workers and commands.
        "import psycopg; from fls_registry.dbroles import connection_url;"
        "print(psycopg.connect(connection_url(connection.settings_dict)).execute('select current_database()').fetchone()[0])",
        DATABASE_URL=None,
        DATABASE_ADMIN_URL=None,
        FLS_DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 0, result.stderr
    version, role, database = result.stdout.splitlines()
    assert version.startswith("PostgreSQL 16")
    assert role == "fls_app False False"  # the application role, under row-level security
    assert database == "fls_registry"
    pgdata = tmp_path / "data" / "postgres"
    assert (pgdata / "PG_VERSION").exists()
    assert not (pgdata / "postmaster.pid").exists()  # stopped with the last process that used it

    # A start interrupted while it wrote pgserver's list of attached processes left it empty, and
    # a process killed outright stays in it: the next start still works, and stops the server.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    for left in ("", f"[{gone.stdout.strip()}]"):
        (pgdata / ".handle_pids.json").write_text(left)
        again = django_python(
            "from django.db import connection; connection.ensure_connection()",
            DATABASE_URL=None,
            DATABASE_ADMIN_URL=None,
            FLS_DATA_DIR=str(tmp_path / "data"),
        )
        assert again.returncode == 0, again.stderr
        assert not (pgdata / "postmaster.pid").exists(), left


@pytest.mark.parametrize(
    "config",
    [
        {"USER": "fls_app", "PASSWORD": "", "HOST": "/work/a dir/.data/postgres", "PORT": "", "NAME": "fls"},
        {"USER": "fls_app", "PASSWORD": "p@ss:/w?rd", "HOST": "127.0.0.1", "PORT": "5433", "NAME": "fls"},
        {"USER": "fls_app", "PASSWORD": "", "HOST": "::1", "PORT": "5432", "NAME": "fls"},
        {"USER": "fls_app", "PASSWORD": "", "HOST": "db.example.org", "PORT": "", "NAME": "test_fls_gw1"},
    ],
    ids=["socket", "password", "ipv6", "no-port"],
)
def test_a_connection_url_reads_the_same_in_libpq_and_in_the_settings(config):
    import environ
    from psycopg.conninfo import conninfo_to_dict

    from fls_registry.dbroles import connection_url, socket_host_from_options

    url = connection_url(config)
    parsed = socket_host_from_options(environ.Env.db_url_config(url))
    assert {key: str(parsed[key]) for key in config} == config
    libpq = conninfo_to_dict(url)
    assert (libpq["dbname"], libpq.get("host", ""), libpq.get("port", "")) == (
        config["NAME"],
        config["HOST"],
        config["PORT"],
    )
    assert libpq.get("password", "") == config["PASSWORD"]


def test_models_and_migrations_agree(db):
    import io

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


def test_the_deploy_check_finds_nothing_in_production():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "CELERY_"))}
    env.update({**PRODUCTION, "DJANGO_SECRET_KEY": "Zq3-vN8_kT1pW6xR0sY4uL9mB2cF7hJ5dG8aE1oI3nK6rV0tS4yQ2wX9zP7lM5jH"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def admin_conninfo(database: str) -> str:
    """An administrator's connection to ``database`` on the server the tests use: the machine's
    (DATABASE_ADMIN_URL) or the embedded one (its socket directory, as its superuser)."""
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings

    if os.environ.get("DATABASE_ADMIN_URL"):
        parts = urlsplit(os.environ["DATABASE_ADMIN_URL"])
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))
    return f"host={settings.DATABASE_OWNER['HOST']} user=postgres dbname={database}"


def test_processes_starting_together_prepare_the_roles_one_after_the_other():
    """Web processes, a worker and pytest-xdist's workers start at once, and each prepares the roles
    (``dbroles.prepare``): two ALTER ROLE of one role at the same moment fail with "tuple concurrently
    updated" unless they wait for each other (seen as a crashed pytest-xdist worker)."""
    import threading

    import psycopg

    from fls_registry.dbroles import prepare

    names = {"owner": "fls_owner_together", "app": "fls_app_together"}
    database = "fls_prepare_together"
    start = threading.Barrier(6)
    failures = []

    def one_process():
        start.wait()
        try:
            prepare(admin_conninfo, "postgres", database, **names)
        except psycopg.Error as exc:
            failures.append(str(exc))

    try:
        for _round in range(3):
            threads = [threading.Thread(target=one_process) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert failures == []
    finally:
        with psycopg.connect(admin_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database}")
            for role in names.values():
                admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_the_demo_warns_when_served_at_another_address_than_site_url(client, db, settings):
    """Links in e-mails and certificates come from SITE_URL: the demo says so when it is served
    elsewhere, and says nothing when the two agree (or outside the demo)."""
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "http://127.0.0.1:8000"
    page = client.get("/", HTTP_HOST="registry.example.org").content.decode()
    assert "This registry is served at http://registry.example.org, but SITE_URL is http://127.0.0.1:8000" in page
    settings.SITE_URL = "http://registry.example.org"
    assert "SITE_URL is" not in client.get("/", HTTP_HOST="registry.example.org").content.decode()
    settings.SITE_URL, settings.DEBUG = "http://127.0.0.1:8000", False
    assert "SITE_URL is" not in client.get("/", HTTP_HOST="registry.example.org").content.decode()
