"""Settings come from the environment; production refuses unsafe defaults; embedded start-up works."""

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


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "a" * 60}, "DJANGO_SECRET_KEY must be set"),  # long, but one letter repeated
        ({"DJANGO_SECRET_KEY": "abab" * 20}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "x1y2z3w4v5" * 5}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must be false"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS must list"),
        ({"EMAIL_URL": None}, "EMAIL_URL must configure SMTP"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(change, complaint):
    result = django_python("print('started')", **{**PRODUCTION, **change})
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert complaint in result.stderr
    assert "started" not in result.stdout


def test_production_settings_come_from_the_environment():
    result = django_python(
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.EMAIL_BACKEND, s.EMAIL_HOST, s.SESSION_COOKIE_SECURE, s.TIME_ZONE,"
        " s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)",
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
        "print(*c.fetchone())",
        DATABASE_URL=None,
        DATABASE_ADMIN_URL=None,
        FLS_DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 0, result.stderr
    version, role = result.stdout.splitlines()
    assert version.startswith("PostgreSQL 16")
    assert role == "fls_app False False"  # the application role, under row-level security
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()


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
