"""Who may do what with recognition, written into the one authority table (programmes.authority).

- A programme's members read its applications; its lead prepares and submits them.
- A global ``reviewer`` sees their queue; on one application, the assignment is an object-scoped
  grant (``assigned_reviewer``) to read it and score it. Nothing here reaches a patient row.
- IOF staff assign reviewers, adjudicate, decide, revoke and edit the catalogue.
"""

from programmes.authority import authority_for, extend_role, global_roles, register_object_roles
from programmes.models import Role
from programmes.services.grants import refuse_membership_when


class RecognitionCapability:
    READ = "recognition.read"  # an application, its frozen figures, answers and evidence
    APPLY = "recognition.apply"  # start, edit, refresh and submit the programme's application
    QUEUE = "recognition.queue"  # the reviewer's own queue
    SCORE = "recognition.score"  # score the one application assigned (object scope)
    MANAGE = "recognition.manage"  # assign, adjudicate, decide, revoke, catalogue


RC = RecognitionCapability
ASSIGNED_REVIEWER = "assigned_reviewer"


def _assigned_roles(actor, application) -> set[str]:
    from programmes.models import Membership
    from recognition.models import ReviewAssignment

    # The grant lasts while the person is still a reviewer (revoking the global role ends it) and has
    # no conflict of interest: a member of the applicant programme never reviews it. Asked on every
    # action, not only when staff assign.
    if "reviewer" not in global_roles(actor):
        return set()
    if not ReviewAssignment.objects.filter(application_id=application.pk, reviewer_id=actor.pk).exists():
        return set()
    if Membership.objects.filter(programme_id=application.programme_id, user_id=actor.pk).exists():
        return set()
    return {ASSIGNED_REVIEWER}


def _reviews_programme(user, programme) -> str | None:
    """A person assigned to review a programme's open application may not join that programme."""
    from django.utils.translation import gettext as _

    from recognition.models import ReviewAssignment
    from recognition.selectors import OPEN_STATES

    if user is None or user.pk is None:
        return None
    reviewing = ReviewAssignment.objects.filter(
        reviewer_id=user.pk,
        application__programme_id=programme.pk,
        application__state__in=OPEN_STATES,
    ).exists()
    if not reviewing:
        return None
    return _(
        "%(email)s reviews this programme's recognition application: a reviewer never belongs to the programme "
        "they review. IOF staff must take them off the review first."
    ) % {"email": user.email}


def register() -> None:
    from recognition.models import Application

    for role in (Role.VIEWER, Role.COORDINATOR, Role.LEAD):
        extend_role(role, {RC.READ})
    extend_role(Role.LEAD, {RC.APPLY})
    extend_role("reviewer", {RC.QUEUE})
    extend_role("iof_staff", {RC.READ, RC.MANAGE})
    register_object_roles(Application, _assigned_roles, {ASSIGNED_REVIEWER: {RC.READ, RC.SCORE}})
    refuse_membership_when(_reviews_programme)


def application_can(actor, application, capability: str) -> bool:
    """The capability globally (IOF staff), in the application's programme, or on the application."""
    return authority_for(actor).can(capability) or authority_for(actor, application).can(capability)
