"""Guessing invitation links or API tokens stops paying: past the limit, the client is refused
before its try is looked at; other clients are not affected."""

import pytest

from programmes import services


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.FAILURE_LIMITS = {"invitation": (3, 600), "api_token": (3, 60)}


def test_unknown_invitation_links_are_limited_per_client(client, lead, programme):
    _invitation, token = services.invitation_create(
        actor=lead, programme=programme, email="new@x.example", role="viewer"
    )
    for n in range(3):
        assert client.get(f"/invitations/guess-{n}/", REMOTE_ADDR="10.1.1.1").status_code == 404
    refused = client.get(f"/invitations/{token}/", REMOTE_ADDR="10.1.1.1")  # even the right link, from there
    assert refused.status_code == 429
    assert "Too many unknown invitation links" in refused.content.decode()
    assert client.get(f"/invitations/{token}/", REMOTE_ADDR="10.1.1.2").status_code == 200


def test_unknown_api_tokens_are_limited_per_client(client, programme, coordinator):
    from accounts.services import api_token_create

    _token, key = api_token_create(user=coordinator, name="ci")
    url = f"/api/v1/programmes/{programme.slug}/episodes/"
    for n in range(3):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer fls_guess{n}", REMOTE_ADDR="10.2.2.2")
        assert response.status_code == 401
    refused = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="10.2.2.2")
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="10.2.2.3").status_code == 200
