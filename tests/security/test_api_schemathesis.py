"""Schemathesis runs the OpenAPI schema against a live server: for generated requests to every
operation (bounded examples), no answer is a server error and every answer matches the schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from accounts.services import api_token_create


@pytest.fixture
def api_world(transactional_db, programme, coordinator, make_episode, day):
    """A programme with an episode, a training day, and a coordinator's API token."""
    make_episode(programme, coordinator, patient_ref="API-1")
    _token, key = api_token_create(user=coordinator, name="schemathesis")
    return {"slug": programme.slug, "key": key}


@pytest.fixture
def api_schema(live_server, api_world):
    return schemathesis.openapi.from_url(live_server.url + "/api/schema/?format=json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_matches_the_schema(case, api_world):
    if "programme_slug" in (case.path_parameters or {}):
        case.path_parameters["programme_slug"] = api_world["slug"]  # reach real rows, not only 404s
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_world['key']}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
