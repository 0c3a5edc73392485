"""The self-growing tenancy walk, extended: every programme URL and every API operation of the
OpenAPI schema, with every method, for the people who act across programmes (a reviewer, IOF
staff, a system administrator, a mentor of another champion site, a mentee of a candidate site).
None of them is a member of the programme: each gets the same 404 (or 405 for a method the URL
does not take) and nothing changes."""

import re

import pytest

from tests.factories import UserFactory
from tests.security.test_tenancy import PARAM, ROUTES, Walk, fill

METHODS = ["get", "post", "put", "patch", "delete"]
SCHEMA_PARAM = re.compile(r"\{[^}]+\}")


def shape(path: str) -> str:
    """A path with every parameter as {} (Django's <slug:x> and the schema's {x} alike)."""
    return SCHEMA_PARAM.sub("{}", PARAM.sub("{}", "/" + path.lstrip("/")))


@pytest.fixture
def people(other_programme, make_member, recognise):
    from tests.factories import ProgrammeFactory
    from tests.mentorship.conftest import open_offer

    mentor = make_member(other_programme, "lead", email="mentor@elsewhere.example")
    recognise(other_programme, "gold")
    open_offer(other_programme, mentor)
    candidate = ProgrammeFactory(slug="candidate-site", status="candidate")
    return {
        "reviewer": UserFactory(is_reviewer=True),
        "iof_staff": UserFactory(is_iof_staff=True),
        "superuser": UserFactory(is_superuser=True),
        "mentor": mentor,
        "mentee": make_member(candidate, "lead", email="mentee@candidate.example"),
    }


@pytest.mark.parametrize("who", ["reviewer", "iof_staff", "superuser", "mentor", "mentee"])
def test_people_of_other_scopes_reach_no_programme_url_by_any_method(who, programme, lead, episode, people, login):
    walk = Walk(login(people[who]))
    for route, _name in ROUTES:
        url = fill(route, programme.slug)
        for method in METHODS:
            walk.check(method, url, (404, 405))
    walk.assert_clean()


@pytest.fixture
def schema(client, db):
    return client.get("/api/schema/?format=json").json()


def test_every_programme_operation_of_the_schema_is_walked(schema):
    walked = {shape(route) for route, _name in ROUTES}
    in_schema = {shape(path) for path in schema["paths"] if "{programme_slug}" in path}
    assert in_schema, "the schema has programme operations"
    assert in_schema <= walked, f"not walked: {sorted(in_schema - walked)}"


@pytest.mark.parametrize("who", ["anonymous", "outsider", "reviewer", "iof_staff", "superuser", "mentor", "mentee"])
def test_every_programme_operation_of_the_schema_refuses_non_members(
    who, schema, programme, other_programme, lead, episode, people, make_member, login
):
    person = {"anonymous": None, "outsider": make_member(other_programme, "coordinator"), **people}[who]
    walk = Walk(login(person))
    allowed = (401, 403) if person is None else (404, 405)
    for path, operations in schema["paths"].items():
        if "{programme_slug}" not in path:
            continue
        url = SCHEMA_PARAM.sub(lambda m: programme.slug if m.group(0) == "{programme_slug}" else str(episode.pk), path)
        for method in (m for m in operations if m in METHODS):
            body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
            walk.check(method, url, allowed, **body)
    walk.assert_clean()


def test_the_operations_outside_programmes_are_public_only_where_meant(schema, client, db):
    """Outside /programmes/, only the public network endpoints answer an anonymous caller."""
    for path, operations in schema["paths"].items():
        if "{programme_slug}" in path or "get" not in operations:
            continue
        url = SCHEMA_PARAM.sub("1", path)
        status = client.get(url).status_code
        if path.startswith("/api/v1/public/"):
            assert status == 200, path
        else:
            assert status in (401, 403), f"anonymous GET {path} answered {status}"
