import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from programmes.models import AccessEvent, Invitation, Membership
from programmes.rls import programme_scope
from programmes.services import invitation_create

User = get_user_model()
NEW_PASSWORD = "a-long-and-unusual-passphrase"


def link_from_mail(message) -> str:
    return re.search(r"http://\S+/invitations/(\S+)/", message.body).group(0).replace("http://127.0.0.1:8000", "")


@pytest.fixture
def invite(programme, lead, django_capture_on_commit_callbacks):
    def send(email="new.nurse@hospital.example", role="coordinator", target=programme, actor=lead):
        with django_capture_on_commit_callbacks(execute=True):
            invitation, token = invitation_create(actor=actor, email=email, role=role, programme=target)
        return invitation, f"/invitations/{token}/"

    return send


def test_lead_invites_from_the_team_page_and_the_mail_carries_the_link(
    programme, lead, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(lead).post(
            f"/p/{programme.slug}/team/", {"email": "New.Nurse@Hospital.example", "role": "coordinator"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.programme) == (
        "new.nurse@hospital.example",
        "coordinator",
        programme,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.nurse@hospital.example"]
    token = link_from_mail(mail.outbox[0]).split("/")[2]
    assert Invitation.hash_token(token) == invitation.token_hash
    assert token not in invitation.token_hash
    with programme_scope(programme.pk):
        assert AccessEvent.objects.for_programme(programme).filter(action="invitation_sent").count() == 1


def test_new_person_accepts_a_valid_invitation_and_lands_in_the_programme(invite, programme, login):
    _invitation, url = invite()
    client = login(None)
    assert client.get(url).status_code == 200
    response = client.post(url, {"full_name": "Anna Nurse", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == f"/p/{programme.slug}/"
    user = User.objects.get(email="new.nurse@hospital.example")
    assert user.full_name == "Anna Nurse"
    assert Membership.objects.get(user=user).role == "coordinator"
    assert user.emailaddress_set.get().verified is True
    assert client.get(f"/p/{programme.slug}/").status_code == 200


def test_invitation_link_works_once(invite, login):
    _invitation, url = invite()
    login(None).post(url, {"full_name": "Anna", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    response = login(None).post(url, {"full_name": "Eve", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert User.objects.filter(email="new.nurse@hospital.example").count() == 1
    assert User.objects.get(email="new.nurse@hospital.example").full_name == "Anna"


def test_expired_invitation_is_refused_and_creates_nobody(invite, login):
    invitation, url = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = login(None).post(url, {"full_name": "Anna", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="new.nurse@hospital.example").exists()


def test_withdrawn_invitation_is_refused(invite, lead, programme, login):
    invitation, url = invite()
    login(lead).post(f"/p/{programme.slug}/team/invitations/{invitation.pk}/revoke/")
    response = login(None).get(url)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_unknown_token_answers_404(db, login):
    assert login(None).get("/invitations/not-a-real-token/").status_code == 404


def test_weak_password_is_refused_with_the_rule_and_the_link_stays_usable(invite, login):
    invitation, url = invite()
    response = login(None).post(url, {"full_name": "Anna", "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_existing_user_logged_in_with_the_invited_address_joins_a_second_programme(
    invite, other_programme, make_member, login, lead
):
    person = make_member(other_programme, "coordinator", email="new.nurse@hospital.example")
    _invitation, url = invite(email="new.nurse@hospital.example", role="viewer")
    response = login(person).post(url)
    assert response.status_code == 302
    assert set(Membership.objects.filter(user=person).values_list("programme__slug", "role")) == {
        ("lyon-sud", "coordinator"),
        ("yaroslavl-rech", "viewer"),
    }


def test_invitation_for_someone_else_is_refused_while_logged_in(invite, viewer, login):
    _invitation, url = invite()
    response = login(viewer).post(url)
    assert response.status_code == 409
    assert "logged in as viewer@hospital.example" in response.content.decode()
    assert not User.objects.filter(email="new.nurse@hospital.example").exists()


def test_a_viewer_cannot_invite(programme, viewer, login):
    response = login(viewer).post(f"/p/{programme.slug}/team/", {"email": "x@hospital.example", "role": "lead"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_inviting_an_existing_member_says_so(programme, lead, coordinator, login):
    response = login(lead).post(f"/p/{programme.slug}/team/", {"email": coordinator.email, "role": "viewer"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_same_invitation_is_not_sent_twice_while_one_waits(
    programme, lead, invite, login, django_capture_on_commit_callbacks
):
    """A second "Send" for an address with a pending invitation is refused, saying when the first
    went out: one e-mail, one link. Once revoked (or expired), a new one may go."""
    first, _url = invite()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(lead).post(
            f"/p/{programme.slug}/team/", {"email": "New.Nurse@hospital.example", "role": "viewer"}
        )
    assert response.status_code == 400
    assert "already has an invitation waiting" in response.content.decode()
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1
    login(lead).post(f"/p/{programme.slug}/team/invitations/{first.pk}/revoke/")
    invite(role="viewer")
    assert Invitation.objects.count() == 2 and len(mail.outbox) == 2
    Invitation.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    invite()  # the waiting one expired
    assert Invitation.objects.count() == 3


def test_iof_staff_invite_a_reviewer_who_gets_the_global_role(iof_staff, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(iof_staff).post("/staff/invitations/", {"email": "reviewer@iof.example", "role": "reviewer"})
    assert response.status_code == 302
    url = link_from_mail(mail.outbox[0])
    login(None).post(url, {"full_name": "Rita Reviewer", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    reviewer = User.objects.get(email="reviewer@iof.example")
    assert (reviewer.is_reviewer, reviewer.is_iof_staff) == (True, False)
    assert not Membership.objects.filter(user=reviewer).exists()


def test_a_programme_lead_cannot_use_the_staff_invitation_page(lead, login):
    response = login(lead).post("/staff/invitations/", {"email": "someone@iof.example", "role": "iof_staff"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_there_is_no_open_sign_up(db, login):
    response = login(None).post(
        "/accounts/signup/", {"email": "walk.in@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert "Sign Up Closed" in response.content.decode()
    assert not User.objects.filter(email="walk.in@example.com").exists()
