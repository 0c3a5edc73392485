"""One door: every login passes allauth's second-factor stage, the admin's included, and every
request checks that *this session* passed it when the person has an authenticator."""

import re

import pytest
from django.test import Client

from tests.conftest import client_for, sign_in
from tests.factories import PASSWORD, UserFactory, give_totp, totp_code

SIGNED_IN = "_auth_user_id"


def wrong_code() -> str:
    return "000000" if totp_code() not in {"000000", "000001"} else "222222"


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, email="root@iof.example")


@pytest.fixture
def staff(db):
    return UserFactory(is_iof_staff=True, email="desk@iof.example")


@pytest.mark.parametrize("who", ["superuser", "staff", "lead"])
def test_the_admin_login_with_a_password_alone_gives_no_session(request, who):
    person = request.getfixturevalue(who)
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": person.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    assert SIGNED_IN not in client.session
    for path in ("/admin/", "/admin/patients/episode/", "/staff/roles/", "/recognition/staff/"):
        assert client.get(path).status_code in (302, 404), path
        assert SIGNED_IN not in client.session, path
    assert client.post("/accounts/profile/tokens/", {"name": "script"}).status_code == 302
    assert client.get("/api/v1/programmes/").status_code in (401, 403)


def test_the_admin_is_reached_through_the_login_and_its_code(superuser):
    client = Client()
    login = client.get("/admin/login/?next=/admin/patients/")
    assert login["Location"] == "/accounts/login/?next=/admin/patients/"
    # An address elsewhere is not followed.
    assert Client().get("/admin/login/?next=https://elsewhere.example/")["Location"] == "/accounts/login/?next=/admin/"
    step = client.post(login["Location"], {"login": superuser.email, "password": PASSWORD})
    assert step["Location"] == "/accounts/2fa/authenticate/"
    assert SIGNED_IN not in client.session
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert done["Location"] == "/admin/patients/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("who", ["superuser", "staff", "lead"])
def test_a_session_that_skipped_the_second_factor_is_ended(request, programme, who):
    """Whatever door a session came through (here: signed in without the code), a person with an
    authenticator is sent back to the login, and the API refuses it."""
    person = request.getfixturevalue(who)
    client = Client()
    sign_in(client, person, second_factor=False)
    page = client.get(f"/p/{programme.slug}/")
    assert page.status_code == 302
    assert page["Location"] == f"/accounts/login/?next=/p/{programme.slug}/"
    assert SIGNED_IN not in client.session

    api = Client()
    sign_in(api, person, second_factor=False)
    refused = api.get("/api/v1/programmes/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "mfa_not_used"

    assert client_for(person).get("/api/v1/programmes/").status_code == 200


def test_a_coordinator_without_an_authenticator_needs_no_code(programme, coordinator):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=coordinator).delete()
    client = Client()
    sign_in(client, coordinator, second_factor=False)
    assert client.get(f"/p/{programme.slug}/").status_code == 200


def test_a_coordinator_who_chose_an_authenticator_must_use_it_too(programme, coordinator):
    give_totp(coordinator)
    client = Client()
    sign_in(client, coordinator, second_factor=False)
    assert client.get(f"/p/{programme.slug}/").status_code == 302


def test_code_guessing_stops_after_five_tries_per_account_whatever_the_address(programme, lead):
    """Each try from a new client address: the sixth, even with the right code, is refused."""
    for attempt in range(6):
        client = Client(REMOTE_ADDR=f"198.51.100.{attempt + 1}")
        assert client.post("/accounts/login/", {"login": lead.email, "password": PASSWORD}).status_code == 302
        code = wrong_code() if attempt < 5 else totp_code()
        response = client.post("/accounts/2fa/authenticate/", {"code": code})
        assert response.status_code in (200, 429), attempt
        assert SIGNED_IN not in client.session, attempt
    assert "Too many failed" in response.content.decode()


def test_a_colleague_elsewhere_cannot_stop_a_password_login(programme, lead):
    """Failed passwords count per address and account: six wrong passwords from one address leave
    the person's own login from another address working."""
    for _ in range(6):
        Client(REMOTE_ADDR="203.0.113.9").post("/accounts/login/", {"login": lead.email, "password": "wrong"})
    client = Client(REMOTE_ADDR="198.51.100.77")
    assert client.post("/accounts/login/", {"login": lead.email, "password": PASSWORD})["Location"] == (
        "/accounts/2fa/authenticate/"
    )
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code()}).status_code == 302
    assert client.get(f"/p/{programme.slug}/").status_code == 200


def test_an_invitation_iof_staff_send_into_a_programme_is_e_mailed_only(
    programme, lead, iof_staff, mailoutbox, django_capture_on_commit_callbacks
):
    from programmes.models import Invitation

    client = client_for(iof_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/invitations/",
            {"email": "mine@elsewhere.example", "programme": programme.pk, "role": "viewer"},
            follow=True,
        )
    page = response.content.decode()
    assert "Invitation e-mailed to mine@elsewhere.example" in page
    invitation = Invitation.objects.get(email="mine@elsewhere.example")
    assert not re.search(r"/invitations/[A-Za-z0-9_-]{20,}", page)  # no link for the sender to open themselves
    [mail] = [m for m in mailoutbox if "mine@elsewhere.example" in m.to]
    assert re.search(r"/invitations/[A-Za-z0-9_-]{20,}", mail.body)
    # The programme's lead sees it and can withdraw it.
    team = client_for(lead).get(f"/p/{programme.slug}/team/").content.decode()
    assert "mine@elsewhere.example" in team
    withdraw = client_for(lead).post(f"/p/{programme.slug}/team/invitations/{invitation.pk}/revoke/")
    assert withdraw.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
