import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from tests.factories import PASSWORD, totp_code


@pytest.fixture
def secret(coordinator):
    secret = generate_totp_secret()
    TOTP.activate(coordinator, secret)
    return secret


def start_login(email):
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    return client, response


def test_password_alone_does_not_log_in_a_user_with_mfa(secret, coordinator, programme):
    client, response = start_login(coordinator.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get(f"/p/{programme.slug}/").status_code == 302


def test_totp_code_completes_the_login(secret, coordinator, programme):
    client, _ = start_login(coordinator.email)
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(f"/p/{programme.slug}/").status_code == 200


def test_wrong_totp_code_is_refused(secret, coordinator, programme):
    client, _ = start_login(coordinator.email)
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get(f"/p/{programme.slug}/").status_code == 302


def test_a_recovery_code_works_once(secret, coordinator, programme):
    code = RecoveryCodes.activate(coordinator).get_unused_codes()[0]
    client, _ = start_login(coordinator.email)
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    again, _ = start_login(coordinator.email)
    assert again.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 200
    assert again.get(f"/p/{programme.slug}/").status_code == 302


def test_login_without_mfa_goes_straight_in_and_email_case_does_not_matter(coordinator, programme):
    client, response = start_login("Coordinator@Hospital.EXAMPLE")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get(f"/p/{programme.slug}/").status_code == 200


def test_wrong_password_is_refused(coordinator, programme):
    client = Client()
    response = client.post("/accounts/login/", {"login": coordinator.email, "password": "not-the-password"})
    assert response.status_code == 200
    assert client.get(f"/p/{programme.slug}/").status_code == 302
