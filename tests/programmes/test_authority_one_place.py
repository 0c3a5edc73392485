"""Authority answered in one place: roles computed and merged by the resolver, recipients and the
two-factor rule chosen by what people may do."""

import pytest

from accounts.mfa import mfa_required
from programmes import authority
from programmes.authority import ROLE_CAPABILITIES, extend_role, people_holding, register_object_roles
from tests.factories import UserFactory


@pytest.fixture
def restore_roles():
    saved = dict(ROLE_CAPABILITIES)
    finders = {model: list(found) for model, found in authority._object_role_finders.items()}
    yield
    ROLE_CAPABILITIES.clear()
    ROLE_CAPABILITIES.update(saved)
    authority._object_role_finders.clear()
    authority._object_role_finders.update(finders)


def test_a_superuser_holds_whatever_iof_staff_hold_plus_their_own(restore_roles):
    assert authority.role_capabilities("iof_staff") < authority.role_capabilities("superuser")
    extend_role("iof_staff", {"new.capability"})  # an app added later extends IOF staff only
    assert "new.capability" in authority.role_capabilities("superuser")
    assert "roles.superuser" not in authority.role_capabilities("iof_staff")


def test_object_roles_are_merged_never_overwritten(restore_roles, db):
    class Thing:
        programme_id = None

    register_object_roles(Thing, lambda actor, obj: {"keeper"}, {"keeper": {"thing.read"}})
    register_object_roles(Thing, lambda actor, obj: {"editor"}, {"keeper": {"thing.write"}, "editor": {"thing.edit"}})
    person = UserFactory()
    found = authority.authority_for(person, Thing())
    assert found.roles == {"keeper", "editor"}
    assert {"thing.read", "thing.write", "thing.edit"} <= found.capabilities


def test_recipients_are_chosen_by_capability(programme, lead, coordinator, iof_staff, reviewers):
    from recognition.permissions import RC

    root = UserFactory(is_superuser=True)
    assert set(people_holding(RC.MANAGE)) == {iof_staff.pk, root.pk}
    assert people_holding(RC.APPLY, programme) == [lead.pk]


def test_a_submission_is_mailed_to_a_superuser_who_may_decide(
    programme, lead, start_application, mailoutbox, django_capture_on_commit_callbacks
):
    from recognition import services
    from tests.recognition.conftest import answer_everything

    root = UserFactory(is_superuser=True, email="root@hospital.example")
    application = start_application(programme, lead)
    answer_everything(application, lead)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=application, actor=lead)
    assert any(root.email in mail.to for mail in mailoutbox)


@pytest.mark.parametrize(
    ("flags", "role", "required"),
    [
        ({"is_superuser": True}, None, True),
        ({"is_iof_staff": True}, None, True),
        ({"is_reviewer": True}, None, True),
        ({}, "lead", True),
        ({}, "coordinator", False),
        ({}, "viewer", False),
    ],
)
def test_the_two_factor_rule_is_the_resolvers(programme, make_member, flags, role, required):
    person = make_member(programme, role, email="p@hospital.example") if role else UserFactory(**flags)
    assert mfa_required(person) is required
    assert authority.needs_two_factors(person) is required
