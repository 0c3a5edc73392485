"""Reads shared by views, API, commands and tasks."""

from django.db.models import Q, QuerySet

from programmes.models import AccessEvent, ExpectedCaseload, Invitation, Membership, Programme


def memberships_for_user(user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("programme").order_by("programme__name")


def programme_members(programme: Programme) -> QuerySet[Membership]:
    return Membership.objects.filter(programme=programme).select_related("user").order_by("user__email")


def programme_pending_invitations(programme: Programme) -> list[Invitation]:
    invitations = Invitation.objects.filter(programme=programme, accepted_at=None, revoked_at=None)
    return [i for i in invitations.select_related("invited_by") if not i.is_expired]


def programme_caseloads(programme: Programme) -> QuerySet[ExpectedCaseload]:
    return ExpectedCaseload.objects.for_programme(programme).order_by("-year")


def global_role_holders(*, include_superusers: bool):
    """People holding a global role, for the grant page."""
    from django.contrib.auth import get_user_model

    holders = Q(is_reviewer=True) | Q(is_iof_staff=True)
    if include_superusers:
        holders |= Q(is_superuser=True)
    return get_user_model().objects.filter(holders).order_by("email")


def global_access_log(limit: int = 50) -> QuerySet[AccessEvent]:
    """Grants and revokes of global authority and changes of accounts (no programme), newest first;
    not the other global rows (library, calculator, catalogue), which are not about people."""
    return (
        AccessEvent.objects.global_events()
        .filter(action__in=AUTHORITY_ACTIONS)
        .select_related("actor", "subject")[:limit]
    )


A = AccessEvent.Action
AUTHORITY_ACTIONS = [
    A.GLOBAL_ROLE_GRANTED,
    A.GLOBAL_ROLE_REVOKED,
    A.ACCOUNT_DEACTIVATED,
    A.ACCOUNT_REACTIVATED,
    A.ACCOUNT_CHANGED,
    A.PASSWORD_SET,
    A.INVITATION_SENT,
    A.INVITATION_REVOKED,
    A.INVITATION_ACCEPTED,
]
