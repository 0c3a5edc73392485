"""Every grant, change and revoke of authority, each with its access-log row in the same transaction.

- programme roles: invitations (``invitation_*``) and memberships (``membership_*``);
- global roles (reviewer, IOF staff, superuser): ``global_role_grant`` / ``global_role_revoke``, and
  an accepted invitation to a global role;
- accounts: activation, a corrected name, a password set by an operator.

Who may do each is asked of ``programmes.authority``. Two rules hold everywhere: nobody grants
authority to themselves (a colleague must), and only someone who may grant superuser touches a
superuser's account. Refusals raise ``PermissionDenied`` (not allowed) or ``ValidationError``
(allowed, but these values break a rule), with a message that says why.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import GLOBAL_ROLE_FIELDS, GlobalRole, authority_change
from accounts.services import api_tokens_revoke_all
from programmes.authority import ROLE_CAPABILITIES, Capability, authority_for, can_globally_or_in
from programmes.locks import programme_lock, serialize
from programmes.models import ALL_ROLES, AccessEvent, Invitation, Membership, Programme, Role
from programmes.services.programme import access_event_record

A = AccessEvent.Action


class InvitationInvalid(Exception):
    """The link cannot be used: unknown, expired, revoked or already used (``reason`` says which)."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


# --- Who may ---------------------------------------------------------------------------------

# Reasons from the apps above why a person may not join a programme (recognition: a reviewer never
# belongs to a programme they review). Each takes (user, programme) and returns a message or None.
_membership_refusals: list = []


def refuse_membership_when(check) -> None:
    if check not in _membership_refusals:
        _membership_refusals.append(check)


def membership_refusal(user, programme) -> str | None:
    """Why ``user`` may not become a member of ``programme`` (a registered rule), or None."""
    for check in _membership_refusals:
        reason = check(user, programme)
        if reason:
            return reason
    return None


def _refuse_self(actor, user, what: str) -> None:
    if actor is not None and user is not None and actor.pk == user.pk:
        raise PermissionDenied(_("Nobody changes their own authority: ask a colleague to %(what)s.") % {"what": what})


def _refuse_superuser_target(actor, user) -> None:
    if user.is_superuser and not authority_for(actor).can(Capability.SUPERUSER_GRANT):
        raise PermissionDenied(_("Only a system administrator can change a system administrator's account."))


def _may_invite(actor, programme: Programme | None) -> bool:
    """The programme's lead invites to their programme; IOF staff invite anyone anywhere."""
    if programme is None:
        globally = authority_for(actor)
        return globally.can(Capability.INVITE_ANYONE) and globally.can(Capability.GLOBAL_ROLES_GRANT)
    return can_globally_or_in(actor, programme, globally=Capability.INVITE_ANYONE, there=Capability.TEAM_MANAGE)


def _may_manage_members(actor, programme: Programme) -> bool:
    return can_globally_or_in(actor, programme, globally=Capability.PROGRAMMES_MANAGE, there=Capability.TEAM_MANAGE)


# --- Invitations -----------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, actor, email: str, role: str, programme: Programme | None = None) -> tuple[Invitation, str]:
    """Create an invitation and queue its e-mail; returns the invitation and the one-time token."""
    from programmes.tasks import send_invitation_email

    email = email.strip().lower()
    if not _may_invite(actor, programme):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can invite people."))
    if email == actor.email.lower():
        raise PermissionDenied(_("Nobody invites themselves: ask a colleague to invite you."))
    if programme is not None and role not in ALL_ROLES:
        raise ValidationError({"role": _("A programme invitation gives the role coordinator, lead or viewer.")})
    if programme is None and role not in (Invitation.Kind.REVIEWER, Invitation.Kind.IOF_STAFF):
        raise ValidationError({"role": _("Without a programme, an invitation gives the role reviewer or IOF staff.")})
    if programme is not None and Membership.objects.filter(programme=programme, user__email__iexact=email).exists():
        raise ValidationError(
            {
                "email": _("%(email)s is already a member of %(programme)s.")
                % {"email": email, "programme": programme.name}
            }
        )
    # One pending invitation per address and place: a second one would send a second e-mail with a
    # second link. Under a lock named for the pair, so two clicks of "Send" cannot both pass.
    serialize(f"invitation:{programme.pk if programme else role}:{email}")
    pending = (
        Invitation.objects.filter(
            email__iexact=email, programme=programme, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .filter(expires_at__gt=timezone.now())
        .filter(**({} if programme is not None else {"role": role}))
        .order_by("-created_at")
        .first()
    )
    if pending is not None:
        raise ValidationError(
            {
                "email": _(
                    "%(email)s already has an invitation waiting, sent on %(sent)s and valid until %(until)s: "
                    "revoke it first to send a new one."
                )
                % {
                    "email": email,
                    "sent": date_format(timezone.localtime(pending.created_at), "SHORT_DATE_FORMAT"),
                    "until": date_format(timezone.localtime(pending.expires_at), "SHORT_DATE_FORMAT"),
                }
            }
        )
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        email=email, role=role, programme=programme, invited_by=actor, token_hash=Invitation.hash_token(token)
    )
    access_event_record(programme=programme, actor=actor, action=A.INVITATION_SENT, email=email, role=role)
    transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk, token))
    return invitation, token


def invitation_url(token: str) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token})


def invitation_lookup(token: str) -> Invitation:
    """The invitation behind a link, or InvitationInvalid saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("programme", "invited_by")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    _check_usable(invitation)
    return invitation


def _check_usable(invitation: Invitation | None) -> None:
    if invitation is None:
        raise InvitationInvalid("unknown", _("This invitation link is not valid. Check that you copied all of it."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid("used", _("This invitation has already been used. Log in, or ask for a new one."))
    if invitation.revoked_at is not None:
        raise InvitationInvalid("revoked", _("This invitation was withdrawn. Ask the person who invited you."))
    if invitation.is_expired:
        raise InvitationInvalid(
            "expired",
            _("This invitation expired on %(date)s. Ask for a new one.")
            % {"date": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d")},
        )


@transaction.atomic
def invitation_accept(*, token: str, user=None, full_name: str = "", password: str = ""):
    """Use an invitation once: for a logged-in user with the invited address, or a new account.

    The row is locked, so two clicks on the same link cannot both succeed. The grant is the
    sender's: the access log names them as the actor and the person who joined as the subject.
    """
    from allauth.account.models import EmailAddress
    from django.contrib.auth.password_validation import validate_password

    invitation = Invitation.objects.select_for_update().filter(token_hash=Invitation.hash_token(token)).first()
    _check_usable(invitation)
    User = get_user_model()
    if user is not None and user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            raise InvitationInvalid(
                "other_user",
                _(
                    "This invitation is for %(email)s, but you are logged in as %(current)s. Log out and open the "
                    "link again."
                )
                % {"email": invitation.email, "current": user.email},
            )
    else:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationInvalid(
                "login_required",
                _("An account for %(email)s already exists: log in first, then open the link again.")
                % {"email": invitation.email},
            )
        user = User(email=invitation.email, full_name=full_name.strip())
        validate_password(password, user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise InvitationInvalid(
                "login_required",
                _("An account for %(email)s already exists: log in first, then open the link again.")
                % {"email": invitation.email},
            ) from None
    # Opening the link proves the address.
    EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=invitation.email,
        defaults={"email": invitation.email, "verified": True, "primary": True},
    )
    sender = invitation.invited_by
    refusal = membership_refusal(user, invitation.programme) if invitation.programme_id is not None else None
    if refusal:
        raise InvitationInvalid("conflict", refusal)
    if invitation.programme_id is not None:
        membership, created = Membership.objects.get_or_create(
            user=user, programme=invitation.programme, defaults={"role": invitation.role}
        )
        before = None if created else membership.role
        if not created and membership.role != invitation.role:
            membership.role = invitation.role
            membership.save(update_fields=["role"])
        access_event_record(
            programme=invitation.programme,
            actor=sender,
            subject=user,
            action=A.INVITATION_ACCEPTED,
            email=user.email,
            role=invitation.role,
            before=before,
        )
    else:
        _global_role_set(user, invitation.role, True, actor=sender, via="invitation")
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user, invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not _may_invite(actor, invitation.programme):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can withdraw this invitation."))
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        access_event_record(
            programme=invitation.programme, actor=actor, action=A.INVITATION_REVOKED, email=invitation.email
        )
    return invitation


# --- Memberships -----------------------------------------------------------------------------


KEEP_A_LEAD = gettext_lazy("A programme keeps at least one lead: make someone else lead first.")


def _locked_membership(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().select_related("user", "programme").get(pk=membership.pk)


def _keep_a_lead(membership: Membership) -> None:
    """Refuse to take away the programme's last lead (the leads' rows are locked while we decide)."""
    if membership.role != Role.LEAD:
        return
    leads = Membership.objects.select_for_update().filter(programme_id=membership.programme_id, role=Role.LEAD)
    if len(list(leads)) <= 1:
        raise ValidationError(KEEP_A_LEAD)


def _is_step_down(before: str, after: str) -> bool:
    return ROLE_CAPABILITIES[after] < ROLE_CAPABILITIES[before]


def membership_grant_check(*, actor, user, programme: Programme, role: str) -> None:
    """Why this grant cannot be made (raises), or nothing: the admin's form and the service ask it."""
    if role not in ALL_ROLES:
        raise ValidationError({"role": _("'%(role)s' is not a programme role.") % {"role": role}})
    if not _may_manage_members(actor, programme):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can add members."))
    _refuse_self(actor, user, _("add you to a programme"))
    if not user.is_active:
        raise ValidationError({"user": _("%(email)s's account is deactivated.") % {"email": user.email}})
    if Membership.objects.filter(programme=programme, user=user).exists():
        raise ValidationError(
            {
                "user": _("%(email)s is already a member of %(programme)s.")
                % {"email": user.email, "programme": programme}
            }
        )
    refusal = membership_refusal(user, programme)
    if refusal:
        raise ValidationError({"user": refusal})


@transaction.atomic
def membership_grant(*, actor, user, programme: Programme, role: str) -> Membership:
    """Give an existing person a role in a programme (IOF staff in the admin; invitations otherwise).
    Under the programme's lock, so two grants of the same person at once end in one membership and
    one form error, never an IntegrityError."""
    programme_lock(programme.pk)
    membership_grant_check(actor=actor, user=user, programme=programme, role=role)
    membership = Membership.objects.create(user=user, programme=programme, role=role)
    access_event_record(
        programme=programme, actor=actor, subject=user, action=A.MEMBER_ADDED, email=user.email, role=role
    )
    return membership


def membership_set_role_check(*, actor, membership: Membership, role: str) -> None:
    if role not in ALL_ROLES:
        raise ValidationError({"role": _("'%(role)s' is not a programme role.") % {"role": role}})
    if not _may_manage_members(actor, membership.programme):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can change roles."))
    if actor.pk == membership.user_id and role != membership.role and not _is_step_down(membership.role, role):
        _refuse_self(actor, membership.user, _("give you this role"))
    others = Membership.objects.filter(programme_id=membership.programme_id, role=Role.LEAD).exclude(pk=membership.pk)
    if membership.role == Role.LEAD and role != Role.LEAD and not others.exists():
        raise ValidationError(KEEP_A_LEAD)


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor) -> Membership:
    """Change a member's role. Nobody raises their own role; a programme keeps at least one lead."""
    membership = _locked_membership(membership)
    membership_set_role_check(actor=actor, membership=membership, role=role)
    before = membership.role
    if before == role:
        return membership
    _keep_a_lead(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    access_event_record(
        programme=membership.programme,
        actor=actor,
        subject=membership.user,
        action=A.ROLE_CHANGED,
        email=membership.user.email,
        before=before,
        after=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    membership = _locked_membership(membership)
    if not _may_manage_members(actor, membership.programme):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can remove members."))
    _keep_a_lead(membership)
    access_event_record(
        programme=membership.programme,
        actor=actor,
        subject=membership.user,
        action=A.MEMBER_REMOVED,
        email=membership.user.email,
        role=membership.role,
    )
    membership.delete()


# --- Global roles ----------------------------------------------------------------------------


def _global_role_set(user, role: str, granted: bool, *, actor, via: str) -> bool:
    """Set one global role's flag, with its audit row; False when it already was so."""
    field = GLOBAL_ROLE_FIELDS[GlobalRole(role)]
    user = get_user_model().objects.select_for_update(no_key=True).get(pk=user.pk)
    if getattr(user, field) == granted:
        return False
    setattr(user, field, granted)
    with authority_change(user):
        user.save(update_fields=[field])
    access_event_record(
        programme=None,
        actor=actor,
        subject=user,
        action=A.GLOBAL_ROLE_GRANTED if granted else A.GLOBAL_ROLE_REVOKED,
        email=user.email,
        role=role,
        via=via,
    )
    return True


def global_role_check(*, actor, user, role: str) -> None:
    """Why ``actor`` cannot grant or revoke this global role of ``user`` (raises), or nothing."""
    if role not in GLOBAL_ROLE_FIELDS:
        raise ValidationError({"role": _("'%(role)s' is not a global role.") % {"role": role}})
    needed = Capability.SUPERUSER_GRANT if role == GlobalRole.SUPERUSER else Capability.GLOBAL_ROLES_GRANT
    if not authority_for(actor).can(needed):
        raise PermissionDenied(_("You may not grant or revoke this role."))
    _refuse_self(actor, user, _("change your global roles"))
    _refuse_superuser_target(actor, user)


@transaction.atomic
def global_role_grant(*, actor, user, role: str) -> bool:
    global_role_check(actor=actor, user=user, role=role)
    if not user.is_active:
        raise ValidationError({"user": _("%(email)s's account is deactivated.") % {"email": user.email}})
    return _global_role_set(user, role, True, actor=actor, via="grant")


@transaction.atomic
def global_role_revoke(*, actor, user, role: str) -> bool:
    global_role_check(actor=actor, user=user, role=role)
    return _global_role_set(user, role, False, actor=actor, via="grant")


# --- Accounts --------------------------------------------------------------------------------


def account_check(*, actor, user) -> None:
    if not authority_for(actor).can(Capability.PEOPLE_MANAGE):
        raise PermissionDenied(_("Only IOF staff can change people's accounts."))
    _refuse_self(actor, user, _("change your account's access"))
    _refuse_superuser_target(actor, user)


@transaction.atomic
def account_set_active(*, actor, user, active: bool):
    """Deactivate (every grant stops working at once, nothing is deleted) or reactivate an account."""
    account_check(actor=actor, user=user)
    user = get_user_model().objects.select_for_update(no_key=True).get(pk=user.pk)
    if user.is_active == active:
        return user
    user.is_active = active
    with authority_change(user):
        user.save(update_fields=["is_active"])
    if not active:
        api_tokens_revoke_all(user)  # reactivating the account does not bring them back
    access_event_record(
        programme=None,
        actor=actor,
        subject=user,
        action=A.ACCOUNT_REACTIVATED if active else A.ACCOUNT_DEACTIVATED,
        email=user.email,
    )
    return user


@transaction.atomic
def account_update(*, actor, user, full_name: str, country: str | None = None):
    """Correct a person's name, or their country (which decides whom a reviewer may review).
    Nobody edits another person's e-mail address here: the address receives password resets, so
    changing it would hand over the account."""
    account_check(actor=actor, user=user)
    user = get_user_model().objects.select_for_update(no_key=True).get(pk=user.pk)
    changes = {"full_name": full_name.strip()}
    if country is not None:
        changes["country"] = str(country)
    changed = {
        field: [str(getattr(user, field)), value]
        for field, value in changes.items()
        if str(getattr(user, field)) != value
    }
    if changed:
        for field in changed:
            setattr(user, field, changes[field])
        user.save(update_fields=list(changed))
        access_event_record(
            programme=None, actor=actor, subject=user, action=A.ACCOUNT_CHANGED, email=user.email, **changed
        )
    return user


@transaction.atomic
def account_password_set(*, actor, user, password: str):
    """An operator sets another person's password (never IOF staff: that would hand them the account)."""
    if not authority_for(actor).can(Capability.ACCOUNTS_SECURITY):
        raise PermissionDenied(_("Only a system administrator can set another person's password."))
    _refuse_self(actor, user, _("set your password (use “Change password” on your account page)"))
    user.set_password(password)
    user.save(update_fields=["password"])
    access_event_record(programme=None, actor=actor, subject=user, action=A.PASSWORD_SET, email=user.email)
    return user


@transaction.atomic
def superuser_created(*, user) -> None:
    """Record the grant made by ``createsuperuser`` on the command line (there is no actor)."""
    access_event_record(
        programme=None,
        actor=None,
        subject=user,
        action=A.GLOBAL_ROLE_GRANTED,
        email=user.email,
        role=GlobalRole.SUPERUSER,
        via="createsuperuser",
    )
