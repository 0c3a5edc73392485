"""Every write to programmes, memberships and invitations; each records its access-log row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from programmes.csvio import FILE_LEVEL, CsvReader, CsvRejected, RowError
from programmes.models import (
    ALL_ROLES,
    LANGUAGE_CODE_RE,
    AccessEvent,
    CareSetting,
    ExpectedCaseload,
    Invitation,
    Membership,
    Programme,
    ProgrammeStatus,
    Role,
)

PROGRAMME_COLUMNS = [
    "slug",
    "name",
    "institution",
    "country",
    "city",
    "latitude",
    "longitude",
    "languages",
    "care_setting",
    "status",
]
PROGRAMME_REQUIRED_COLUMNS = {"slug", "name", "country"}
CARE_SETTING_ALIASES = {
    "both": CareSetting.MIXED,
    "inpatient_outpatient": CareSetting.MIXED,
    "inpatient and outpatient": CareSetting.MIXED,
    "community": CareSetting.PRIMARY_CARE,
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def access_event_record(*, programme: Programme, actor, action: str, **detail) -> AccessEvent:
    return AccessEvent.objects.create(programme=programme, actor=actor, action=action, detail=detail)


# --- Programme import --------------------------------------------------------------------------


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged") % vars(self)


def _choice(value: str, choices, label: str, aliases=None) -> str:
    lowered = value.lower()
    if aliases and lowered in aliases:
        return str(aliases[lowered])
    if lowered not in choices.values:
        raise ValidationError(
            _("'%(value)s' is not a %(label)s; use one of: %(choices)s")
            % {"value": value, "label": label, "choices": ", ".join(choices.values)}
        )
    return lowered


def _coordinate(value: str, limit: int, label: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationError(
            _("'%(value)s' is not a number; write the %(label)s in decimal degrees, e.g. 57.6261")
            % {"value": value, "label": label}
        ) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise ValidationError(
            _("%(label)s must be between -%(limit)s and %(limit)s degrees, not %(value)s")
            % {"label": label, "limit": limit, "value": value}
        )
    return number.quantize(Decimal("0.000001"))


def _country(value: str) -> str:
    code = value.upper()
    if code not in dict(countries):
        by_name = countries.by_name(value)
        if by_name:
            return by_name
        raise ValidationError(
            _("'%(value)s' is not an ISO 3166 country code such as FR, GB, IT, RU or TW") % {"value": value}
        )
    return code


def parse_languages(value: str) -> list[str]:
    codes = [code.strip().lower() for code in re.split(r"[;,|\s]+", value) if code.strip()]
    for code in codes:
        if not re.match(LANGUAGE_CODE_RE, code):
            raise ValidationError(
                _("'%(code)s' is not a language code such as en, fr, ru, it or zh; separate several with ';'")
                % {"code": code}
            )
    return list(dict.fromkeys(codes))


def programme_row_parse(row: dict[str, str], row_number: int) -> tuple[dict, list[RowError]]:
    """Turn one CSV row into Programme field values, or the errors that say what and where."""
    values: dict = {}
    errors: list[RowError] = []

    def take(column, parse):
        raw = row.get(column, "")
        if raw == "":
            if column in PROGRAMME_REQUIRED_COLUMNS:
                errors.append(RowError(row_number, column, _("required, but the cell is blank")))
            return
        try:
            values[column] = parse(raw)
        except ValidationError as exc:
            errors.append(RowError(row_number, column, " ".join(exc.messages)))

    def slug(raw):
        if not SLUG_RE.match(raw) or len(raw) > 64:
            raise ValidationError(
                _(
                    "'%(value)s' is not a valid slug: use 1-64 lower-case letters, digits and "
                    "single hyphens, e.g. yaroslavl-fls"
                )
                % {"value": raw}
            )
        return raw

    def text(limit):
        def parse(raw):
            if len(raw) > limit:
                raise ValidationError(
                    _("at most %(limit)s characters, this has %(length)s") % {"limit": limit, "length": len(raw)}
                )
            return raw

        return parse

    take("slug", slug)
    take("name", text(200))
    take("institution", text(200))
    take("country", _country)
    take("city", text(120))
    take("latitude", lambda raw: _coordinate(raw, 90, _("latitude")))
    take("longitude", lambda raw: _coordinate(raw, 180, _("longitude")))
    take("languages", parse_languages)
    take("care_setting", lambda raw: _choice(raw, CareSetting, _("care setting"), CARE_SETTING_ALIASES))
    take("status", lambda raw: _choice(raw, ProgrammeStatus, _("status")))
    has_lat = bool(row.get("latitude")) and "latitude" in values
    has_lon = bool(row.get("longitude")) and "longitude" in values
    if not row.get("latitude") and has_lon:
        errors.append(RowError(row_number, "latitude", _("give the latitude too, or leave both coordinates blank")))
    if not row.get("longitude") and has_lat:
        errors.append(RowError(row_number, "longitude", _("give the longitude too, or leave both coordinates blank")))
    return values, errors


@transaction.atomic
def programme_import(*, stream, actor=None) -> ImportCounts:
    """Create or update programmes from a CSV file, all or nothing, upserting by slug.

    Every bad row is reported (``CsvRejected``); nothing is written unless the whole file is good.
    Blank optional cells leave the stored value as it is blank (the file is the truth for a row).
    """
    reader = CsvReader(stream, columns=PROGRAMME_COLUMNS, required=PROGRAMME_REQUIRED_COLUMNS)
    errors: list[RowError] = []
    parsed: dict[str, dict] = {}
    first_row_of_slug: dict[str, int] = {}
    for row_number, row, row_errors in reader:
        if row is None:
            errors.extend(row_errors)
            continue
        values, row_errors = programme_row_parse(row, row_number)
        errors.extend(row_errors)
        slug = values.get("slug")
        if slug and slug in first_row_of_slug:
            errors.append(
                RowError(
                    row_number,
                    "slug",
                    _("'%(slug)s' is already used on row %(row)s of this file")
                    % {"slug": slug, "row": first_row_of_slug[slug]},
                )
            )
        elif slug:
            first_row_of_slug[slug] = row_number
            # Columns absent from the file keep their stored values; present-but-blank cells clear them.
            present = set(reader.header)
            full = {column: values.get(column, _blank_for(column)) for column in PROGRAMME_COLUMNS if column in present}
            parsed[slug] = full
    if errors:
        raise CsvRejected(errors)
    if not parsed:
        raise CsvRejected([RowError(2, FILE_LEVEL, _("the file has a header but no programme rows"))])

    counts = ImportCounts()
    existing = {p.slug: p for p in Programme.objects.select_for_update().filter(slug__in=list(parsed))}
    for slug, values in parsed.items():
        values = {k: v for k, v in values.items() if k != "slug"}
        if values.get("status") in (None, ""):
            values.pop("status", None)
        programme = existing.get(slug)
        if programme is None:
            Programme.objects.create(slug=slug, **values)
            counts.created += 1
            continue
        changed = [field for field, value in values.items() if _differs(getattr(programme, field), value)]
        if not changed:
            counts.unchanged += 1
            continue
        for field in changed:
            setattr(programme, field, values[field])
        programme.save(update_fields=[*changed, "updated_at"])
        access_event_record(
            programme=programme,
            actor=actor,
            action=AccessEvent.Action.PROFILE_CHANGED,
            source="import_programmes",
            fields=sorted(changed),
        )
        counts.updated += 1
    return counts


def _blank_for(column: str):
    if column in ("latitude", "longitude"):
        return None
    if column == "languages":
        return []
    return ""


def _differs(stored, new) -> bool:
    if isinstance(stored, Decimal) or isinstance(new, Decimal):
        if stored is None or new is None:
            return stored is not new
        return Decimal(stored) != Decimal(new)
    return str(stored) != str(new) if not isinstance(stored, list) else stored != new


# --- Expected caseload -------------------------------------------------------------------------


@transaction.atomic
def expected_caseload_set(
    *, programme: Programme, year: int, non_spine: int, spine: int, actor=None
) -> ExpectedCaseload:
    errors = {}
    if not 1990 <= year <= 2100:
        errors["year"] = _("the year must be between 1990 and 2100, not %(year)s") % {"year": year}
    for field, value in (("non_spine", non_spine), ("spine", spine)):
        if value < 0:
            errors[field] = _("an expected number of fractures cannot be negative (%(value)s)") % {"value": value}
    if errors:
        raise ValidationError(errors)
    caseload, _created = ExpectedCaseload.objects.update_or_create(
        programme=programme, year=year, defaults={"non_spine": non_spine, "spine": spine}
    )
    access_event_record(
        programme=programme,
        actor=actor,
        action=AccessEvent.Action.CASELOAD_SET,
        year=year,
        non_spine=non_spine,
        spine=spine,
    )
    programme_mark_data_changed(programme=programme)
    return caseload


def programme_mark_data_changed(*, programme: Programme) -> None:
    """Record that this programme's data changed (KPIs read the mark), and tell listeners after commit.

    The mark is written in the caller's transaction, so it is never lost: even if the listeners
    cannot act (the broker is down), the periodic sweep finds programmes whose mark is newer than
    their last computation.
    """
    from programmes import hooks

    Programme.objects.filter(pk=programme.pk).update(data_changed_at=timezone.now())
    programme_id = programme.pk
    transaction.on_commit(lambda: hooks.data_changed(programme_id))


@transaction.atomic
def programme_update_profile(*, programme: Programme, actor, **fields) -> Programme:
    allowed = {"name", "institution", "city", "public_profile", "languages", "care_setting", "kpi_set"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    changed = [field for field, value in fields.items() if getattr(programme, field) != value]
    for field in changed:
        setattr(programme, field, fields[field])
    programme.full_clean()
    if changed:
        programme.save(update_fields=[*changed, "updated_at"])
        if "kpi_set" in changed:
            programme_mark_data_changed(programme=programme)  # figures of the new set are needed
        access_event_record(
            programme=programme, actor=actor, action=AccessEvent.Action.PROFILE_CHANGED, fields=sorted(changed)
        )
    return programme


# --- Invitations and memberships ---------------------------------------------------------------


class InvitationInvalid(Exception):
    """The link cannot be used: unknown, expired, revoked or already used (``reason`` says which)."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


def _can_invite(actor, programme: Programme | None) -> bool:
    if actor.is_iof_staff or actor.is_superuser:
        return True
    if programme is None:
        return False
    return Membership.objects.filter(user=actor, programme=programme, role=Role.LEAD).exists()


@transaction.atomic
def invitation_create(*, actor, email: str, role: str, programme: Programme | None = None) -> tuple[Invitation, str]:
    """Create an invitation and queue its e-mail; returns the invitation and the one-time token."""
    from programmes.tasks import send_invitation_email

    email = email.strip().lower()
    if not _can_invite(actor, programme):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can invite people."))
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
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        email=email, role=role, programme=programme, invited_by=actor, token_hash=Invitation.hash_token(token)
    )
    if programme is not None:
        access_event_record(
            programme=programme, actor=actor, action=AccessEvent.Action.INVITATION_SENT, email=email, role=role
        )
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

    The row is locked, so two clicks on the same link cannot both succeed.
    """
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
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
    if invitation.programme_id is not None:
        membership, created = Membership.objects.get_or_create(
            user=user, programme=invitation.programme, defaults={"role": invitation.role}
        )
        if not created and membership.role != invitation.role:
            membership.role = invitation.role
            membership.save(update_fields=["role"])
        access_event_record(
            programme=invitation.programme,
            actor=user,
            action=AccessEvent.Action.INVITATION_ACCEPTED,
            email=user.email,
            role=invitation.role,
        )
    elif invitation.role == Invitation.Kind.REVIEWER:
        user.is_reviewer = True
        user.save(update_fields=["is_reviewer"])
    elif invitation.role == Invitation.Kind.IOF_STAFF:
        user.is_iof_staff = True
        user.save(update_fields=["is_iof_staff"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user, invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not _can_invite(actor, invitation.programme):
        raise PermissionDenied
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        if invitation.programme is not None:
            access_event_record(
                programme=invitation.programme,
                actor=actor,
                action=AccessEvent.Action.INVITATION_REVOKED,
                email=invitation.email,
            )
    return invitation


def _lock_leads(programme: Programme) -> int:
    return len(list(Membership.objects.select_for_update().filter(programme=programme, role=Role.LEAD)))


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor) -> Membership:
    if role not in ALL_ROLES:
        raise ValidationError({"role": _("'%(role)s' is not a programme role.") % {"role": role}})
    if not _can_invite(actor, membership.programme):
        raise PermissionDenied
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    before = membership.role
    if before == role:
        return membership
    if before == Role.LEAD and _lock_leads(membership.programme) <= 1:
        raise ValidationError(_("A programme keeps at least one lead: make someone else lead first."))
    membership.role = role
    membership.save(update_fields=["role"])
    access_event_record(
        programme=membership.programme,
        actor=actor,
        action=AccessEvent.Action.ROLE_CHANGED,
        email=membership.user.email,
        before=before,
        after=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    if not _can_invite(actor, membership.programme):
        raise PermissionDenied
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.LEAD and _lock_leads(membership.programme) <= 1:
        raise ValidationError(_("A programme keeps at least one lead: make someone else lead first."))
    access_event_record(
        programme=membership.programme,
        actor=actor,
        action=AccessEvent.Action.MEMBER_REMOVED,
        email=membership.user.email,
        role=membership.role,
    )
    membership.delete()
