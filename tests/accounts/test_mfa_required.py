"""Two-factor authentication is required for IOF staff, reviewers, administrators and programme leads."""

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.services import api_token_create
from tests.conftest import client_for
from tests.factories import PASSWORD, MembershipFactory, UserFactory, give_totp, totp_code

SETUP = "/accounts/2fa/totp/activate/"


def without_mfa(programme, role=None, **flags):
    if role:
        return MembershipFactory(programme=programme, role=role, user=UserFactory(mfa=False, **flags), mfa=False).user
    return UserFactory(mfa=False, **flags)


REQUIRED = [("lead", {}), (None, {"is_iof_staff": True}), (None, {"is_reviewer": True}), (None, {"is_superuser": True})]


@pytest.mark.parametrize(("role", "flags"), REQUIRED, ids=["lead", "iof_staff", "reviewer", "superuser"])
def test_every_page_sends_a_required_role_to_the_set_up_until_it_is_done(programme, role, flags):
    user = without_mfa(programme, role, **flags)
    client = client_for(user)
    for path in ("/", f"/p/{programme.slug}/", "/accounts/profile/", "/recognition/staff/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == SETUP, path
    assert client.post(f"/p/{programme.slug}/episodes/new/", {}).status_code == 302
    api = client.get("/api/v1/programmes/")
    assert api.status_code == 403
    assert api.json()["code"] == "mfa_required"
    # The set-up itself stays reachable.
    assert client.get("/accounts/2fa/").status_code == 200

    give_totp(user)
    assert client.get(f"/p/{programme.slug}/").status_code == (200 if role else 404)
    assert client.get("/api/v1/programmes/").status_code == 200


def test_logging_out_is_reachable_before_the_set_up(programme):
    client = client_for(without_mfa(programme, "lead"))
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get(f"/p/{programme.slug}/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_are_offered_it_but_not_stopped(programme, role):
    client = client_for(without_mfa(programme, role))
    assert client.get(f"/p/{programme.slug}/").status_code == 200
    profile = client.get("/accounts/profile/").content.decode()
    assert "Two-factor authentication" in profile
    assert "/accounts/2fa/" in profile


def test_an_api_token_of_a_lead_without_mfa_is_refused(programme):
    lead = without_mfa(programme, "lead")
    _, key = api_token_create(user=lead, name="script")
    response = Client().get("/api/v1/programmes/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert "two-factor authentication" in response.json()["detail"]
    give_totp(lead)
    assert Client().get("/api/v1/programmes/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_a_lead_sets_up_the_app_after_the_password_and_gets_recovery_codes(programme):
    lead = without_mfa(programme, "lead", email="new.lead@hospital.example")
    client = Client()
    response = client.post("/accounts/login/", {"login": lead.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(f"/p/{programme.slug}/")["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "needs two-factor authentication" in page.content.decode()
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # the key to type in when the QR code cannot be scanned

    wrong = client.post(SETUP, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=lead).exists()

    done = client.post(SETUP, {"code": totp_code(secret)})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/2fa/recovery-codes/"
    codes = client.get(done["Location"]).content.decode()
    assert Authenticator.objects.filter(user=lead, type=Authenticator.Type.RECOVERY_CODES).exists()
    first = Authenticator.objects.get(user=lead, type=Authenticator.Type.RECOVERY_CODES)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    unused = RecoveryCodes(first).get_unused_codes()
    assert len(unused) == 10 and unused[0] in codes
    assert client.get(f"/p/{programme.slug}/").status_code == 200

    # From now on the password alone does not log in.
    again = Client()
    again.post("/accounts/login/", {"login": lead.email, "password": PASSWORD})
    assert again.get(f"/p/{programme.slug}/").status_code == 302
    assert again.get(f"/p/{programme.slug}/")["Location"].startswith("/accounts/login/")


def test_a_code_from_the_neighbouring_period_is_accepted_for_clock_drift(programme, lead):
    from tests.factories import TOTP_SECRET

    client = Client()
    client.post("/accounts/login/", {"login": lead.email, "password": PASSWORD})
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code(offset=-1)}).status_code == 302
    assert client.get(f"/p/{programme.slug}/").status_code == 200

    far = totp_code(TOTP_SECRET, offset=-3)
    other = Client()
    other.post("/accounts/login/", {"login": lead.email, "password": PASSWORD})
    if far not in {totp_code(offset=o) for o in (-1, 0, 1)}:
        assert other.post("/accounts/2fa/authenticate/", {"code": far}).status_code == 200


def test_a_lead_cannot_switch_it_off_but_a_coordinator_can(programme, lead, coordinator):
    refused = client_for(lead).post("/accounts/2fa/totp/deactivate/", {})
    # allauth asks for the password again first when the login is not recent; either way it stays on.
    assert Authenticator.objects.filter(user=lead, type=Authenticator.Type.TOTP).exists()
    assert refused.status_code in (200, 302)

    client = Client()
    client.post("/accounts/login/", {"login": lead.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    page = client.post("/accounts/2fa/totp/deactivate/", {})
    assert page.status_code == 200
    assert "Your role requires two-factor authentication" in page.content.decode()
    assert Authenticator.objects.filter(user=lead, type=Authenticator.Type.TOTP).exists()

    give_totp(coordinator)
    client = Client()
    client.post("/accounts/login/", {"login": coordinator.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert client.post("/accounts/2fa/totp/deactivate/", {}).status_code == 302
    assert not Authenticator.objects.filter(user=coordinator, type=Authenticator.Type.TOTP).exists()


def test_a_coordinator_made_lead_is_sent_to_the_set_up_at_the_next_page(programme, lead):
    from programmes.models import Membership
    from programmes.services.grants import membership_set_role

    coordinator = without_mfa(programme, "coordinator")
    client = client_for(coordinator)
    assert client.get(f"/p/{programme.slug}/").status_code == 200
    membership_set_role(membership=Membership.objects.get(user=coordinator), role="lead", actor=lead)
    assert client.get(f"/p/{programme.slug}/")["Location"] == SETUP


def test_the_answer_is_remembered_but_forgotten_when_an_authenticator_or_a_role_changes(
    programme, lead, django_assert_max_num_queries
):
    from allauth.mfa.models import Authenticator

    from accounts.mfa import mfa_missing
    from programmes.models import Membership

    coordinator = without_mfa(programme, "coordinator")
    assert mfa_missing(coordinator) is False
    with django_assert_max_num_queries(0):
        assert mfa_missing(coordinator) is False  # from the cache
    membership = Membership.objects.get(user=coordinator)
    membership.role = "lead"
    membership.save()
    assert mfa_missing(coordinator) is True
    give_totp(coordinator)
    assert mfa_missing(coordinator) is False
    Authenticator.objects.filter(user=coordinator).delete()  # a system administrator removes it
    assert mfa_missing(coordinator) is True
