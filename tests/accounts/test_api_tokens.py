"""Personal API tokens end (90 days unless chosen), may be read-only, and die with a deactivated account."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.conftest import client_for, today_is


def api(key, method="get", path="/api/v1/programmes/", **kwargs):
    return getattr(Client(), method)(path, HTTP_AUTHORIZATION=f"Bearer {key}", **kwargs)


def test_a_token_ends_after_ninety_days_unless_chosen(coordinator):
    token, key = api_token_create(user=coordinator, name="feed")
    assert (token.expires_at - timezone.now()).days in (89, 90)
    assert api(key).status_code == 200
    with today_is((timezone.now() + timedelta(days=91)).date()):
        refused = api(key)
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    with pytest.raises(ValidationError):
        api_token_create(user=coordinator, name="forever", days=10_000)


def test_a_read_only_token_reads_but_never_writes(programme, coordinator):
    _token, key = api_token_create(user=coordinator, name="dashboard", read_only=True)
    assert api(key, path=f"/api/v1/programmes/{programme.slug}/episodes/").status_code == 200
    refused = api(
        key, "post", f"/api/v1/programmes/{programme.slug}/episodes/", data={}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]


def test_deactivating_an_account_revokes_its_tokens_for_good(coordinator, iof_staff):
    from programmes.services.grants import account_set_active

    _token, key = api_token_create(user=coordinator, name="feed")
    account_set_active(actor=iof_staff, user=coordinator, active=False)
    account_set_active(actor=iof_staff, user=coordinator, active=True)
    assert api(key).status_code == 401
    assert ApiToken.objects.get(user=coordinator).revoked_at is not None


def test_the_profile_page_shows_the_expiry_and_creates_a_read_only_token(coordinator):
    client = client_for(coordinator)
    page = client.post("/accounts/profile/tokens/", {"name": "dash", "days": "30", "read_only": "on"}).content.decode()
    token = ApiToken.objects.get(user=coordinator)
    assert token.read_only and (token.expires_at - timezone.now()).days in (29, 30)
    assert "read-only" in page
    assert client.post("/accounts/profile/tokens/", {"name": "x", "days": "9999"}).status_code == 400
