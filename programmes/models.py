import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.clock import default_zone, validate_zone
from clinical.kpi_sets import DEFAULT_KPI_SET, KPI_SET_CHOICES
from programmes.tenancy import ProgrammeOwnedModel

LANGUAGE_CODE_RE = r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$"
# Expected caseload: the calendar years it may be set for, and a bound far above any one service's
# yearly fragility fractures (a national audit sees a few hundred thousand in all).
CASELOAD_YEARS = range(1990, 2101)
MAX_EXPECTED_FRACTURES = 1_000_000


class CareSetting(models.TextChoices):
    INPATIENT = "inpatient", _("Inpatient")
    OUTPATIENT = "outpatient", _("Outpatient")
    MIXED = "mixed", _("Inpatient and outpatient")
    PRIMARY_CARE = "primary_care", _("Primary care")


class ProgrammeStatus(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate (setting up)")
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    LEAD = "lead", _("Programme lead")
    VIEWER = "viewer", _("Viewer")


ALL_ROLES = frozenset(Role.values)


class Programme(models.Model):
    """One Fracture Liaison Service: the tenant. Every patient-level row belongs to exactly one."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=120, blank=True)
    # The programme's clock (accounts/clock.py): an IANA name; filled from the country when blank.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_zone],
        help_text=_(
            'Decides the programme\'s "today" (KPI dates, "not after today", due dates). Empty: the '
            "country's zone nearest the coordinates."
        ),
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    languages = ArrayField(
        models.CharField(max_length=16, validators=[RegexValidator(LANGUAGE_CODE_RE)]),
        verbose_name=_("languages"),
        default=list,
        blank=True,
        help_text=_("ISO 639-1 codes, such as en, fr, ru, it, zh."),
    )
    care_setting = models.CharField(_("care setting"), max_length=20, choices=CareSetting.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProgrammeStatus.choices, default=ProgrammeStatus.ACTIVE, db_index=True
    )
    kpi_set = models.CharField(
        _("KPI set"),
        max_length=40,
        choices=KPI_SET_CHOICES,
        default=DEFAULT_KPI_SET,
        help_text=_("The KPI definitions the dashboard and reports use."),
    )
    public_profile = models.TextField(_("public profile"), blank=True)
    # Case finding (casefinding/readers.py): which of a FHIR Patient's identifiers is the hospital's
    # record number; blank takes the first identifier.
    record_number_system = models.CharField(
        _("record number system"),
        max_length=255,
        blank=True,
        help_text=_("The FHIR identifier system of your hospital's record numbers, such as urn:oid:1.2.643.5.1.13."),
    )
    # Owned here, read by kpis: the last time any patient-level data of the programme changed.
    data_changed_at = models.DateTimeField(_("data changed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(latitude__isnull=True) & models.Q(longitude__isnull=True))
                | (models.Q(latitude__isnull=False) & models.Q(longitude__isnull=False)),
                name="programme_coordinates_both_or_neither",
            ),
            # A programme names a defined KPI set: one bad value would fail every recompute.
            models.CheckConstraint(
                condition=models.Q(kpi_set__in=[code for code, _name in KPI_SET_CHOICES]),
                name="programme_kpi_set_defined",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.time_zone and self.country:
            self.time_zone = default_zone(self.country, self.latitude, self.longitude)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "time_zone"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))


class ExpectedCaseload(ProgrammeOwnedModel):
    """Expected fragility fractures per calendar year (local epidemiology): KPI1 and KPI2 denominators."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(CASELOAD_YEARS.start), MaxValueValidator(CASELOAD_YEARS.stop - 1)]
    )
    non_spine = models.PositiveIntegerField(
        _("expected non-spine fractures"), validators=[MaxValueValidator(MAX_EXPECTED_FRACTURES)]
    )
    spine = models.PositiveIntegerField(
        _("expected spine fractures"), validators=[MaxValueValidator(MAX_EXPECTED_FRACTURES)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["programme", "year"]
        verbose_name = _("expected caseload")
        verbose_name_plural = _("expected caseloads")
        constraints = [
            models.UniqueConstraint(fields=["programme", "year"], name="expected_caseload_one_per_year"),
        ]

    def __str__(self):
        return f"{self.year}: {self.non_spine} non-spine, {self.spine} spine"


class Membership(models.Model):
    """A user's role in one programme. One user may belong to several programmes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        ordering = ["programme__name", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "programme"], name="membership_one_per_user_programme"),
        ]

    def __str__(self):
        return f"{self.user} — {self.programme} ({self.get_role_display()})"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _default_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class Invitation(models.Model):
    """A single-use, expiring link that lets one e-mail address join.

    Either a programme role (``programme`` set, role coordinator/lead/viewer) or a global role
    (no programme, role reviewer/iof_staff). Only the token's hash is stored.
    """

    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        LEAD = "lead", _("Programme lead")
        VIEWER = "viewer", _("Viewer")
        REVIEWER = "reviewer", _("IOF reviewer")
        IOF_STAFF = "iof_staff", _("IOF staff")

    email = models.EmailField(_("e-mail address"))
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=20, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), default=_default_expiry)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(programme__isnull=False, role__in=sorted(ALL_ROLES)))
                | (models.Q(programme__isnull=True, role__in=["reviewer", "iof_staff"])),
                name="invitation_role_matches_scope",
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash_token(token)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired


class AccessEvent(ProgrammeOwnedModel):
    """The append-only access log: who invited, joined, changed roles, imported, exported, viewed.

    Events of one programme carry it; grants and revokes of global authority (reviewer, IOF staff,
    superuser, an account's activation) carry no programme. ``subject`` is the person whose
    authority changed. Rows are never changed or deleted (a database trigger refuses it).
    """

    ROW_SECURITY = True  # under row-level security (programmes/rls.py)
    APPEND_ONLY = ("actor_id", "subject_id")  # programmes/append_only.py: these may only be cleared

    class Action(models.TextChoices):
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        MEMBER_ADDED = "member_added", _("Member added")
        ROLE_CHANGED = "role_changed", _("Role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        GLOBAL_ROLE_GRANTED = "global_role_granted", _("Global role granted")
        GLOBAL_ROLE_REVOKED = "global_role_revoked", _("Global role revoked")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated")
        ACCOUNT_REACTIVATED = "account_reactivated", _("Account reactivated")
        ACCOUNT_CHANGED = "account_changed", _("Account details changed")
        PASSWORD_SET = "password_set", _("Password set by an administrator")
        PROGRAMME_CREATED = "programme_created", _("Programme created")
        CASELOAD_SET = "caseload_set", _("Expected caseload set")
        CASELOAD_REMOVED = "caseload_removed", _("Expected caseload removed")
        PROFILE_CHANGED = "profile_changed", _("Programme details changed")
        IMPORTED = "imported", _("Data imported")
        EXPORTED = "exported", _("Data exported")
        VIEWED = "viewed", _("Patient data viewed")
        REVIEWER_ASSIGNED = "reviewer_assigned", _("Reviewer assigned to a recognition application")
        REVIEWER_UNASSIGNED = "reviewer_unassigned", _("Reviewer removed from a recognition application")
        EVIDENCE_DOWNLOADED = "evidence_downloaded", _("Recognition evidence downloaded")
        CHAMPION_OFFER_CHANGED = "champion_offer_changed", _("Champion offer changed")
        CANDIDATE_PROFILE_CHANGED = "candidate_profile_changed", _("Candidate profile changed")
        JOIN_REQUEST_APPROVED = "join_request_approved", _("Request to join approved")
        JOIN_REQUEST_DECLINED = "join_request_declined", _("Request to join declined")
        SEAT_PROPOSED = "seat_proposed", _("Training-day seat proposed to a candidate site")
        SEAT_PROPOSAL_MOVED = "seat_proposal_moved", _("Training-day seat proposal booked or withdrawn")
        RESOURCE_MOVED = "resource_moved", _("Library resource published, declined or withdrawn")
        RESOURCE_SAVED = "resource_saved", _("Library resource added or changed")
        CALCULATOR_PARAMETERS_SAVED = "calculator_parameters_saved", _("Benefits calculator parameters saved")
        CATALOGUE_COPIED = "catalogue_copied", _("Recognition catalogue copied to a draft")
        CATALOGUE_PUBLISHED = "catalogue_published", _("Recognition catalogue published")
        CANDIDATE_ACCEPTED = "candidate_accepted", _("Case-finding candidate accepted")
        CANDIDATE_DISMISSED = "candidate_dismissed", _("Case-finding candidate dismissed")

    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_events",
        verbose_name=_("programme"),
        help_text=_("Empty for global events (reviewer and IOF staff roles, accounts)."),
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concerning"),
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # A programme's log, newest first, and its date filters (ranges of created_at): one index.
        indexes = [models.Index(fields=["programme", "-created_at", "-id"], name="access_event_programme_time")]
        verbose_name = _("access event")
        verbose_name_plural = _("access log")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The access log is append-only."))
        super().save(*args, **kwargs)


class StoredFile(models.Model):
    """An uploaded file (recognition evidence, a library resource), kept in PostgreSQL itself: every
    web host serves it, it is written in the same transaction as the row that names it, and one
    database backup holds both (programmes/files.py; docs/architecture.md, "Files")."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self):
        return self.name
