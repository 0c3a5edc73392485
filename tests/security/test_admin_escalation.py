"""IOF staff in the admin reach exactly what they were granted: every escalation is refused.

Each test posts what a hostile (or careless) IOF staff member would: the admin's own forms,
re-posted with extra fields, or URLs typed by hand. Nothing may change, and no path may reach a
patient row.
"""

import pytest
from django.contrib.auth import get_user_model

from programmes.models import AccessEvent, ExpectedCaseload, Invitation, Membership, Programme
from programmes.rls import programme_scope
from tests.factories import UserFactory
from tests.formdata import form_data

A = AccessEvent.Action


@pytest.fixture
def staff(iof_staff, login):
    return login(iof_staff)


@pytest.fixture
def operator(db):
    return UserFactory(email="it@hospital.example", is_superuser=True)


def repost(client, url, **changes):
    data = form_data(client.get(url).content.decode(), form_id=None)
    data.update(changes)
    return client.post(url, data)


def test_reposting_the_user_form_with_superuser_and_roles_ticked_changes_nothing(staff, iof_staff, programme, lead):
    User = get_user_model()
    for target in (iof_staff, lead):
        url = f"/admin/accounts/user/{target.pk}/change/"
        response = repost(staff, url, is_superuser="on", is_iof_staff="on", is_reviewer="on", is_staff="on")
        assert response.status_code in (200, 302, 403)
        target = User.objects.get(pk=target.pk)
        assert (target.is_superuser, target.is_reviewer) == (False, False)
    assert User.objects.get(pk=lead.pk).is_iof_staff is False


def test_iof_staff_never_reach_an_episode_by_any_admin_url(staff, episode):
    for url in (
        "/admin/patients/episode/",
        f"/admin/patients/episode/{episode.pk}/change/",
        "/admin/patients/episode/add/",
        "/admin/patients/auditentry/",
    ):
        assert staff.get(url).status_code == 403, url
    index = staff.get("/admin/").content.decode()
    assert "/admin/patients/" not in index


def test_iof_staff_cannot_open_account_security_models(staff, lead):
    for url in (
        "/admin/account/emailaddress/",
        "/admin/account/emailaddress/add/",
        "/admin/mfa/authenticator/",
        f"/admin/accounts/user/{lead.pk}/password/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{lead.pk}/delete/",
    ):
        assert staff.get(url).status_code == 403, url
    response = staff.post(
        f"/admin/accounts/user/{lead.pk}/password/", {"password1": "x-Y-z-123456", "password2": "x-Y-z-123456"}
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.check_password("correct-horse-battery-staple")


def test_iof_staff_cannot_give_themselves_a_programme_role_in_the_admin(staff, iof_staff, programme, lead):
    response = staff.post(
        "/admin/programmes/membership/add/", {"user": iof_staff.pk, "programme": programme.pk, "role": "lead"}
    )
    assert response.status_code == 200
    assert "Nobody changes their own authority" in response.content.decode()
    assert not Membership.objects.filter(user=iof_staff).exists()
    with programme_scope(programme.pk):
        assert not AccessEvent.objects.for_programme(programme).exists()


def test_iof_staff_cannot_raise_their_own_membership(staff, iof_staff, programme, lead):
    from tests.factories import MembershipFactory

    own = MembershipFactory(programme=programme, user=iof_staff, role="viewer")
    response = staff.post(f"/admin/programmes/membership/{own.pk}/change/", {"role": "lead"})
    assert response.status_code == 200
    assert Membership.objects.get(pk=own.pk).role == "viewer"


def test_iof_staff_cannot_invite_themselves(staff, iof_staff, programme):
    response = staff.post("/staff/invitations/", {"email": iof_staff.email, "programme": programme.pk, "role": "lead"})
    assert response.status_code == 400
    assert "Nobody invites themselves" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_admin_membership_edit_keeps_the_last_lead_and_is_audited(staff, iof_staff, programme, lead):
    membership = Membership.objects.get(user=lead)
    response = staff.post(f"/admin/programmes/membership/{membership.pk}/change/", {"role": "viewer"})
    assert "at least one lead" in response.content.decode()
    assert staff.post(f"/admin/programmes/membership/{membership.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Membership.objects.get(pk=membership.pk).role == "lead"
    newcomer = UserFactory()
    response = staff.post(
        "/admin/programmes/membership/add/", {"user": newcomer.pk, "programme": programme.pk, "role": "coordinator"}
    )
    assert response.status_code == 302
    with programme_scope(programme.pk):
        (added,) = AccessEvent.objects.for_programme(programme).filter(action=A.MEMBER_ADDED)
    assert (added.actor, added.subject) == (iof_staff, newcomer)


def test_admin_edits_of_kpi_set_and_caseload_mark_the_programme_changed_and_are_audited(staff, programme):
    url = f"/admin/programmes/programme/{programme.pk}/change/"
    data = form_data(staff.get(url).content.decode(), form_id="programme_form")
    data.update(
        {
            "kpi_set": "fls-db",
            "programmes_expectedcaseload_set-TOTAL_FORMS": "1",
            "programmes_expectedcaseload_set-0-year": "2026",
            "programmes_expectedcaseload_set-0-non_spine": "800",
            "programmes_expectedcaseload_set-0-spine": "150",
        }
    )
    response = staff.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    programme.refresh_from_db()
    assert programme.kpi_set == "fls-db" and programme.data_changed_at is not None
    assert ExpectedCaseload.objects.for_programme(programme).get().non_spine == 800
    with programme_scope(programme.pk):
        actions = set(AccessEvent.objects.for_programme(programme).values_list("action", flat=True))
    assert {A.PROFILE_CHANGED, A.CASELOAD_SET} <= actions


def test_the_admin_refuses_a_kpi_set_that_is_not_defined(staff, programme):
    url = f"/admin/programmes/programme/{programme.pk}/change/"
    data = form_data(staff.get(url).content.decode(), form_id="programme_form")
    data["kpi_set"] = "made-up"
    response = staff.post(url, data)
    assert response.status_code == 200 and "made-up is not one of the available choices" in response.content.decode()
    assert Programme.objects.get(pk=programme.pk).kpi_set == "iof-2020"


def test_invitations_and_the_access_log_are_read_only(staff, programme, lead, iof_staff):
    from programmes import services

    invitation, _token = services.invitation_create(actor=lead, programme=programme, email="a@x.example", role="viewer")
    services.invitation_revoke(invitation=invitation, actor=lead)
    response = staff.post(f"/admin/programmes/invitation/{invitation.pk}/change/", {"revoked_at": ""})
    assert response.status_code == 403
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
    with programme_scope(programme.pk):
        event = AccessEvent.objects.for_programme(programme).first()
    assert staff.post(f"/admin/programmes/accessevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff.get(f"/admin/programmes/accessevent/{event.pk}/change/").status_code == 200  # may read
    log = staff.get("/admin/programmes/accessevent/", {"scope": "global"}).status_code
    assert log == 200


def test_deactivation_in_the_admin_goes_through_the_audited_service(staff, iof_staff, lead):
    url = f"/admin/accounts/user/{lead.pk}/change/"
    data = form_data(staff.get(url).content.decode(), form_id="user_form")
    data.pop("is_active", None)  # untick
    assert staff.post(url, data).status_code == 302
    lead.refresh_from_db()
    assert lead.is_active is False
    (event,) = AccessEvent.objects.global_events().filter(action=A.ACCOUNT_DEACTIVATED)
    assert (event.actor, event.subject) == (iof_staff, lead)


def test_a_superuser_sets_a_password_through_the_audited_service(operator, lead, login):
    client = login(operator)
    page = client.get(f"/admin/accounts/user/{lead.pk}/change/")
    assert page.status_code == 200 and "Set a new password" in page.content.decode()
    url = f"/admin/accounts/user/{lead.pk}/password/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.check_password("a-new-long-passphrase")
    (event,) = AccessEvent.objects.global_events().filter(action=A.PASSWORD_SET)
    assert (event.actor, event.subject) == (operator, lead)


# --- The grant page --------------------------------------------------------------------------


def test_the_global_roles_page_is_for_iof_staff_only(programme, lead, login):
    assert login(None).get("/staff/roles/").status_code == 302
    assert login(lead).get("/staff/roles/").status_code == 403
    reviewer = UserFactory(is_reviewer=True)
    assert login(reviewer).get("/staff/roles/").status_code == 403
    assert (
        login(lead).post("/staff/roles/", {"email": lead.email, "role": "iof_staff", "grant": "1"}).status_code == 403
    )
    lead.refresh_from_db()
    assert not lead.is_iof_staff


def test_iof_staff_grant_and_revoke_reviewers_on_the_roles_page(staff, iof_staff):
    person = UserFactory(email="prof@uni.example")
    response = staff.post("/staff/roles/", {"email": "prof@uni.example", "role": "reviewer", "grant": "1"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_reviewer
    page = staff.get("/staff/roles/").content.decode()
    assert "prof@uni.example" in page and "Global role granted" in page
    assert 'value="superuser"' not in page  # only a system administrator may grant it
    response = staff.post("/staff/roles/", {"email": "prof@uni.example", "role": "superuser", "grant": "1"})
    assert response.status_code == 400
    person.refresh_from_db()
    assert not person.is_superuser
    staff.post("/staff/roles/", {"email": "prof@uni.example", "role": "reviewer", "grant": "0"})
    person.refresh_from_db()
    assert not person.is_reviewer
    response = staff.post("/staff/roles/", {"email": iof_staff.email, "role": "reviewer", "grant": "1"})
    assert response.status_code == 400 and "Nobody changes their own authority" in response.content.decode()
    response = staff.post("/staff/roles/", {"email": "nobody@x.example", "role": "reviewer", "grant": "1"})
    assert "invite them instead" in response.content.decode()


def test_iof_staff_create_a_programme_in_the_admin_through_the_service(staff, iof_staff):
    assert staff.get("/admin/programmes/programme/add/").status_code == 200
    data = form_data(staff.get("/admin/programmes/programme/add/").content.decode(), form_id="programme_form")
    data.update(
        {
            "name": "FLS Kazan",
            "slug": "kazan-new",
            "country": "RU",
            "status": "candidate",
            "kpi_set": "iof-2020",
            "programmes_expectedcaseload_set-TOTAL_FORMS": "1",
            "programmes_expectedcaseload_set-0-year": "2026",
            "programmes_expectedcaseload_set-0-non_spine": "300",
            "programmes_expectedcaseload_set-0-spine": "60",
        }
    )
    response = staff.post("/admin/programmes/programme/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Programme.objects.get(slug="kazan-new")
    with programme_scope(created.pk):
        actions = list(AccessEvent.objects.for_programme(created).values_list("action", "actor"))
    assert (A.PROGRAMME_CREATED, iof_staff.pk) in actions and (A.CASELOAD_SET, iof_staff.pk) in actions
    assert ExpectedCaseload.objects.for_programme(created).get().spine == 60
