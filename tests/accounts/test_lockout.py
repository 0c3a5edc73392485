"""Failed logins lock out one e-mail address from one client, never the account everywhere, and
never say whether the account exists; sessions end after inactivity."""

import re

import pytest
from django.conf import settings

from tests.factories import PASSWORD

LOGIN = "/accounts/login/"


def attempt(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)


def fail_until_locked(client, email, ip="10.0.0.1"):
    """Four failures answer the form again; the fifth answers the lock-out page."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, email, "wrong-password-1", ip).status_code == 200
    return attempt(client, email, "wrong-password-1", ip)


def test_five_failures_lock_that_address_from_that_client_only(client, coordinator):
    locked = fail_until_locked(client, coordinator.email)
    assert locked.status_code == 429
    assert "paused for 15 minutes" in locked.content.decode()
    assert attempt(client, coordinator.email, PASSWORD).status_code == 429  # even the right password, from there
    elsewhere = attempt(client, coordinator.email, PASSWORD, ip="10.0.0.99")
    assert elsewhere.status_code == 302  # the coordinator, at their own computer, still logs in


def test_a_lockout_does_not_reveal_whether_the_account_exists(client, coordinator):
    known = fail_until_locked(client, coordinator.email, ip="10.0.1.1")
    unknown = fail_until_locked(client, "nobody-here@hospital.example", ip="10.0.1.2")
    assert known.status_code == unknown.status_code == 429

    def page(response, email):
        # CSRF tokens are masked anew on every page (the header's and the language switcher's).
        page = re.sub(r'"X-CSRFToken": "[^"]+"', "", response.content.decode().replace(email, ""))
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)

    assert page(known, coordinator.email) == page(unknown, "nobody-here@hospital.example")


def test_a_success_clears_the_failures(client, coordinator):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, coordinator.email, "wrong-password-1")
    assert attempt(client, coordinator.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, coordinator.email, "wrong-password-1").status_code == 200
    assert attempt(client, coordinator.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [(0, "6.6.6.6", "10.0.0.1"), (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"), (1, "", "10.0.0.1")],
)
def test_the_client_address_trusts_only_the_configured_proxies(rf, settings, count, forwarded, expected):
    from accounts.lockout import client_ip

    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_sessions_end_after_inactivity(client, coordinator):
    assert attempt(client, coordinator.email, PASSWORD).status_code == 302
    assert 0 < client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE == 30 * 60


def test_a_request_extends_the_session_at_most_once_a_minute(client, coordinator, programme):
    """Each page would otherwise write the session; it is written again once a minute has passed."""
    import time

    from django.contrib.sessions.models import Session

    from accounts.sessions import REFRESHED_KEY

    assert settings.SESSION_SAVE_EVERY_REQUEST is False and settings.SESSION_REFRESH_SECONDS == 60
    attempt(client, coordinator.email, PASSWORD)
    key = client.session.session_key

    def stored():
        return Session.objects.get(session_key=key)

    client.get(f"/p/{programme.slug}/")
    first = stored().expire_date
    client.get(f"/p/{programme.slug}/")
    assert stored().expire_date == first  # within the minute: not written again
    session = client.session
    session[REFRESHED_KEY] = int(time.time()) - 61  # as if the last write was more than a minute ago
    session.save()
    before = stored().expire_date
    client.get(f"/p/{programme.slug}/")
    assert stored().expire_date > before  # written again: the inactivity period starts again
    assert client.session[REFRESHED_KEY] >= int(time.time()) - 2


def test_the_client_is_not_locked_out_for_other_addresses(client, coordinator, lead):
    assert fail_until_locked(client, coordinator.email).status_code == 429
    assert attempt(client, lead.email, PASSWORD).status_code == 302  # a shared ward computer keeps working
