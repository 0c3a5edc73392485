"""One source of authority: the resolver, the grant services and their audit rows."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import AuthorityChangeRefused
from patients.models import Episode
from programmes import services
from programmes.authority import Capability, authority_for, register_object_roles, roles_holding
from programmes.models import AccessEvent, Invitation, Membership
from programmes.rls import programme_scope
from tests.factories import MembershipFactory, UserFactory

A = AccessEvent.Action
C = Capability


@pytest.fixture
def operator(db):
    return UserFactory(email="it@hospital.example", is_superuser=True)


def events(action, programme=None, **filters):
    """The access log's rows of ``action``: one programme's (read within its scope), else the global ones."""
    if programme is None:
        return list(AccessEvent.objects.global_events().filter(action=action, **filters))
    with programme_scope(programme.pk):
        return list(AccessEvent.objects.for_programme(programme).filter(action=action, **filters))


# --- The resolver ----------------------------------------------------------------------------


def test_programme_roles_allow_what_the_table_says(programme, lead, coordinator, viewer):
    # Apps above add their own capabilities (recognition: read the programme's applications;
    # mentorship: read the programme's mentorship page; network: its benefits calculator).
    assert authority_for(viewer, programme).capabilities == {
        C.PROGRAMME_READ,
        "recognition.read",
        "mentorship.read",
        "network.calculate",
    }
    assert authority_for(coordinator, programme).can(C.PATIENTS_WRITE)
    assert not authority_for(coordinator, programme).can(C.PATIENTS_DELETE)
    assert authority_for(lead, programme).can(C.TEAM_MANAGE) and authority_for(lead, programme).can(C.PATIENTS_AUDIT)
    assert roles_holding(C.PATIENTS_EXPORT) == {"coordinator", "lead"}


def test_global_roles_never_carry_into_a_programme(programme, iof_staff, operator):
    reviewer = UserFactory(is_reviewer=True)
    for person in (iof_staff, operator, reviewer):
        assert authority_for(person, programme).capabilities == frozenset()
    assert authority_for(iof_staff).can(C.GLOBAL_ROLES_GRANT) and not authority_for(iof_staff).can(C.PATIENTS_ADMIN)
    assert not authority_for(iof_staff).can(C.SUPERUSER_GRANT)
    assert authority_for(operator).can(C.PATIENTS_ADMIN) and authority_for(operator).can(C.SUPERUSER_GRANT)
    assert authority_for(reviewer).capabilities == {"recognition.queue"}  # their own queue, nothing more


def test_a_deactivated_account_holds_nothing(programme, lead, iof_staff, operator):
    services.account_set_active(actor=iof_staff, user=lead, active=False)
    lead.refresh_from_db()
    assert authority_for(lead, programme).capabilities == frozenset()
    services.account_set_active(actor=operator, user=iof_staff, active=False)
    iof_staff.refresh_from_db()
    assert authority_for(iof_staff).capabilities == frozenset()


def test_an_object_of_a_programme_carries_the_programme_roles_and_registered_object_grants(
    programme, coordinator, episode, make_member, monkeypatch
):
    from programmes import authority

    assert authority_for(coordinator, episode).can(C.PATIENTS_WRITE)
    outsider = make_member(programme, "viewer")
    assert authority_for(outsider, episode).capabilities == {
        C.PROGRAMME_READ,
        "recognition.read",
        "mentorship.read",
        "network.calculate",
    }
    monkeypatch.setattr(authority, "_object_role_finders", {})
    monkeypatch.setattr(authority, "ROLE_CAPABILITIES", dict(authority.ROLE_CAPABILITIES))
    register_object_roles(
        Episode,
        lambda actor, obj: {"second_reader"} if actor.pk == outsider.pk else set(),
        {"second_reader": {"episodes.second_read"}},
    )
    assert authority_for(outsider, episode).can("episodes.second_read")
    assert not authority_for(coordinator, episode).can("episodes.second_read")


# --- Every grant writes its audit row --------------------------------------------------------


def test_invitation_to_a_programme_is_sent_and_accepted_with_audit_rows(programme, lead):
    invitation, token = services.invitation_create(actor=lead, programme=programme, email="n@x.example", role="viewer")
    user, _ = services.invitation_accept(token=token, full_name="N", password="a-long-passphrase-42")
    (sent,) = events(A.INVITATION_SENT, programme=programme)
    (accepted,) = events(A.INVITATION_ACCEPTED, programme=programme)
    assert (sent.actor, sent.detail["role"]) == (lead, "viewer")
    assert (accepted.actor, accepted.subject, accepted.detail["role"]) == (lead, user, "viewer")


@pytest.mark.parametrize("role", ["reviewer", "iof_staff"])
def test_a_global_invitation_leaves_global_audit_rows(iof_staff, role):
    invitation, token = services.invitation_create(actor=iof_staff, email="g@x.example", role=role)
    user, _ = services.invitation_accept(token=token, full_name="G", password="a-long-passphrase-42")
    (sent,) = events(A.INVITATION_SENT, programme=None)
    (granted,) = events(A.GLOBAL_ROLE_GRANTED, programme=None)
    assert sent.detail == {"email": "g@x.example", "role": role}
    assert (granted.actor, granted.subject, granted.detail["role"], granted.detail["via"]) == (
        iof_staff,
        user,
        role,
        "invitation",
    )


def test_membership_grant_change_and_removal_are_audited(programme, lead, iof_staff):
    person = UserFactory()
    membership = services.membership_grant(actor=iof_staff, user=person, programme=programme, role="coordinator")
    services.membership_set_role(membership=membership, role="lead", actor=iof_staff)
    services.membership_remove(membership=membership, actor=lead)
    with programme_scope(programme.pk):
        logged = list(AccessEvent.objects.for_programme(programme))
    assert [(e.action, e.actor, e.subject) for e in reversed(logged)] == [
        (A.MEMBER_ADDED, iof_staff, person),
        (A.ROLE_CHANGED, iof_staff, person),
        (A.MEMBER_REMOVED, lead, person),
    ]


@pytest.mark.parametrize(("role", "flag"), [("reviewer", "is_reviewer"), ("iof_staff", "is_iof_staff")])
def test_global_roles_are_granted_and_revoked_with_audit_rows(iof_staff, role, flag):
    person = UserFactory()
    assert services.global_role_grant(actor=iof_staff, user=person, role=role) is True
    assert services.global_role_grant(actor=iof_staff, user=person, role=role) is False  # nothing new, no row
    person.refresh_from_db()
    assert getattr(person, flag) is True
    services.global_role_revoke(actor=iof_staff, user=person, role=role)
    person.refresh_from_db()
    assert getattr(person, flag) is False
    assert [(e.action, e.detail["role"]) for e in events(A.GLOBAL_ROLE_GRANTED) + events(A.GLOBAL_ROLE_REVOKED)] == [
        (A.GLOBAL_ROLE_GRANTED, role),
        (A.GLOBAL_ROLE_REVOKED, role),
    ]


def test_only_a_superuser_grants_superuser_and_it_is_audited(iof_staff, operator):
    person = UserFactory()
    with pytest.raises(PermissionDenied):
        services.global_role_grant(actor=iof_staff, user=person, role="superuser")
    services.global_role_grant(actor=operator, user=person, role="superuser")
    person.refresh_from_db()
    assert person.is_superuser
    (granted,) = events(A.GLOBAL_ROLE_GRANTED, subject=person)
    assert (granted.actor, granted.detail["role"]) == (operator, "superuser")


def test_createsuperuser_records_the_grant(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase-42")
    call_command("createsuperuser", "--noinput", "--email", "root@hospital.example", verbosity=0)
    user = get_user_model().objects.get(email="root@hospital.example")
    assert user.is_superuser and not user.is_iof_staff
    (granted,) = events(A.GLOBAL_ROLE_GRANTED, subject=user)
    assert (granted.actor, granted.detail["via"]) == (None, "createsuperuser")


def test_account_deactivation_name_and_password_changes_are_audited(iof_staff, operator):
    person = UserFactory()
    services.account_set_active(actor=iof_staff, user=person, active=False)
    services.account_set_active(actor=iof_staff, user=person, active=True)
    services.account_update(actor=iof_staff, user=person, full_name="Dr New Name")
    with pytest.raises(PermissionDenied):
        services.account_password_set(actor=iof_staff, user=person, password="another-long-passphrase")
    services.account_password_set(actor=operator, user=person, password="another-long-passphrase")
    person.refresh_from_db()
    assert person.check_password("another-long-passphrase") and person.full_name == "Dr New Name"
    assert [e.action for e in reversed(AccessEvent.objects.global_events().filter(subject=person))] == [
        A.ACCOUNT_DEACTIVATED,
        A.ACCOUNT_REACTIVATED,
        A.ACCOUNT_CHANGED,
        A.PASSWORD_SET,
    ]


# --- Refusals --------------------------------------------------------------------------------


def test_nobody_grants_authority_to_themselves(programme, iof_staff, operator, lead, every_programme):
    with pytest.raises(PermissionDenied, match="Nobody changes their own authority"):
        services.global_role_grant(actor=iof_staff, user=iof_staff, role="reviewer")
    with pytest.raises(PermissionDenied, match="Nobody changes their own authority"):
        services.global_role_grant(actor=operator, user=operator, role="iof_staff")
    with pytest.raises(PermissionDenied, match="Nobody changes their own authority"):
        services.membership_grant(actor=iof_staff, user=iof_staff, programme=programme, role="lead")
    with pytest.raises(PermissionDenied, match="Nobody invites themselves"):
        services.invitation_create(actor=iof_staff, programme=programme, email=iof_staff.email, role="lead")
    with pytest.raises(PermissionDenied):
        services.account_set_active(actor=iof_staff, user=iof_staff, active=False)
    assert not Membership.objects.filter(user=iof_staff).exists()
    assert not Invitation.objects.exists()
    assert not AccessEvent.objects.all_programmes().exists()


def test_a_member_may_step_down_but_never_up(programme, lead, make_member, iof_staff):
    other_lead = make_member(programme, "lead")
    viewer_membership = MembershipFactory(programme=programme, user=iof_staff, role="viewer")
    with pytest.raises(PermissionDenied):
        services.membership_set_role(membership=viewer_membership, role="lead", actor=iof_staff)
    own = Membership.objects.get(user=other_lead)
    services.membership_set_role(membership=own, role="coordinator", actor=other_lead)
    assert Membership.objects.get(user=other_lead).role == "coordinator"
    assert Membership.objects.get(user=iof_staff).role == "viewer"


def test_a_programme_keeps_a_lead_whoever_asks(programme, lead, iof_staff):
    membership = Membership.objects.get(user=lead)
    with pytest.raises(ValidationError, match="at least one lead"):
        services.membership_set_role(membership=membership, role="viewer", actor=iof_staff)
    with pytest.raises(ValidationError, match="at least one lead"):
        services.membership_remove(membership=membership, actor=iof_staff)


def test_iof_staff_cannot_touch_a_superusers_account(iof_staff, operator):
    with pytest.raises(PermissionDenied, match="system administrator"):
        services.account_set_active(actor=iof_staff, user=operator, active=False)
    with pytest.raises(PermissionDenied, match="system administrator"):
        services.global_role_grant(actor=iof_staff, user=operator, role="reviewer")


def test_a_global_invitation_needs_iof_staff(programme, lead):
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=lead, email="r@x.example", role="reviewer")


# --- The flags are never written around the services -----------------------------------------


def test_a_plain_save_or_update_cannot_change_a_global_role(db):
    person = UserFactory()
    person.is_superuser = True
    with pytest.raises(AuthorityChangeRefused, match="is_superuser"):
        person.save()
    with pytest.raises(AuthorityChangeRefused):
        get_user_model().objects.filter(pk=person.pk).update(is_iof_staff=True)
    with pytest.raises(AuthorityChangeRefused):
        get_user_model().objects.create_user("new@x.example", "a-long-passphrase-42", is_reviewer=True)
    person.refresh_from_db()
    assert not (person.is_superuser or person.is_iof_staff)


def test_the_access_log_is_append_only_in_the_database(programme, lead, every_programme):
    services.access_event_record(programme=programme, actor=lead, action=A.CASELOAD_SET, year=2025)
    services.access_event_record(programme=None, actor=lead, action=A.GLOBAL_ROLE_GRANTED, role="reviewer")
    for statement in (
        "UPDATE programmes_accessevent SET detail = '{}'::jsonb",
        "UPDATE programmes_accessevent SET programme_id = NULL",
        "UPDATE programmes_accessevent SET actor_id = actor_id + 1",
        "DELETE FROM programmes_accessevent",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AccessEvent.objects.all_programmes().count() == 2
