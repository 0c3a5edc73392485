"""Mentorship: champion offers, candidate sites, training days, bookings, cohort proposals.

Training days belong to the champion programme (programme-owned, fail-closed manager). A booking
joins two programmes, the champion's day and the candidate site, so it is not programme-owned:
its selectors scope it explicitly by one side or the other. Nothing here holds patient data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from programmes.models import LANGUAGE_CODE_RE, CareSetting, Programme
from programmes.tenancy import ProgrammeOwnedModel

MAX_SEATS = 200
MAX_YEARLY_FRACTURES = 1_000_000


class Topic(models.TextChoices):
    """What a champion teaches well; each topic maps to the IOF KPIs that show it (TOPIC_KPIS)."""

    CASE_FINDING = "case_finding", _("Finding every patient (non-spine fractures)")
    VERTEBRAL = "vertebral", _("Finding vertebral fractures")
    ASSESSMENT = "assessment", _("Timely FLS assessment")
    DXA = "dxa", _("Access to DXA")
    FALLS = "falls", _("Falls risk, strength and balance")
    TREATMENT = "treatment", _("Recommending and starting treatment")
    FOLLOW_UP = "follow_up", _("Monitoring and adherence")
    DATA = "data", _("Data collection and audit")
    SETUP = "setup", _("Setting up a service and its business case")


TOPIC_KPIS: dict[str, tuple[str, ...]] = {
    Topic.CASE_FINDING: ("KPI1",),
    Topic.VERTEBRAL: ("KPI2",),
    Topic.ASSESSMENT: ("KPI3",),
    Topic.DXA: ("KPI4",),
    Topic.FALLS: ("KPI5", "KPI9"),
    Topic.TREATMENT: ("KPI6", "KPI8"),
    Topic.FOLLOW_UP: ("KPI7", "KPI10"),
    Topic.DATA: ("KPI11",),
    Topic.SETUP: (),
}


def _languages_field(verbose_name):
    return ArrayField(
        models.CharField(max_length=16, validators=[RegexValidator(LANGUAGE_CODE_RE)]),
        verbose_name=verbose_name,
        default=list,
        blank=True,
        help_text=_("ISO 639-1 codes, such as en, fr, ru, it, zh."),
    )


class ChampionOffer(models.Model):
    """A recognised programme's offer to mentor. Open only while the lead keeps it open *and* the
    programme holds a valid silver or gold recognition; otherwise it is shown as paused."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="champion_offer")
    is_open = models.BooleanField(_("offering mentorship"), default=True)
    languages = _languages_field(_("teaching languages"))
    topics = ArrayField(
        models.CharField(max_length=20, choices=Topic.choices),
        verbose_name=_("topics of strength"),
        default=list,
        blank=True,
    )
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    mentor_text = models.TextField(_("public mentor text"), blank=True, max_length=4000)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("champion offer")
        verbose_name_plural = _("champion offers")

    def __str__(self):
        return f"{self.programme}: champion offer"


class CandidateProfile(models.Model):
    """What matching needs to know about a candidate site beyond its programme row."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="candidate_profile")
    expected_yearly_fractures = models.PositiveIntegerField(
        _("expected fragility fractures a year"), validators=[MaxValueValidator(MAX_YEARLY_FRACTURES)]
    )
    accepts_interpretation = models.BooleanField(
        _("accepts a training day in another language with interpretation"), default=False
    )
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("candidate profile")
        verbose_name_plural = _("candidate profiles")

    def __str__(self):
        return f"{self.programme}: candidate profile"


class JoinRequest(models.Model):
    """An institution planning an FLS asks to join; IOF staff approve (a candidate programme is
    created and its contact invited as lead) or decline."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for IOF staff")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    name = models.CharField(_("name of the planned FLS"), max_length=200)
    institution = models.CharField(_("institution"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    city = models.CharField(_("city"), max_length=120)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    languages = _languages_field(_("languages"))
    care_setting = models.CharField(_("care setting"), max_length=20, choices=CareSetting.choices)
    expected_yearly_fractures = models.PositiveIntegerField(
        _("expected fragility fractures a year"), validators=[MaxValueValidator(MAX_YEARLY_FRACTURES)]
    )
    accepts_interpretation = models.BooleanField(_("accepts interpretation"), default=False)
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    message = models.TextField(_("message"), blank=True, max_length=4000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    programme = models.OneToOneField(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="join_request"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("request to join")
        verbose_name_plural = _("requests to join")

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"


class TrainingDay(ProgrammeOwnedModel):
    """One on-site day a champion hosts (``programme`` is the champion)."""

    date = models.DateField(_("date"))
    seats = models.PositiveSmallIntegerField(
        _("seats"), validators=[MinValueValidator(1), MaxValueValidator(MAX_SEATS)]
    )
    language = models.CharField(_("language"), max_length=16, validators=[RegexValidator(LANGUAGE_CODE_RE)])
    agenda = models.TextField(_("agenda"), max_length=4000)
    address = models.CharField(_("address"), max_length=300)
    booking_deadline = models.DateField(_("booking deadline"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("training day")
        verbose_name_plural = _("training days")
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="training_day_at_least_one_seat"),
            models.CheckConstraint(
                condition=Q(booking_deadline__lte=models.F("date")), name="training_day_deadline_not_after_day"
            ),
        ]
        indexes = [models.Index(fields=["date"], name="training_day_date")]

    def __str__(self):
        return f"{self.programme} {self.date:%Y-%m-%d}"


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    WAITING = "waiting", _("On the waiting list")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not attend")


# A booking in one of these holds a seat (the invariant: these ≤ the day's seats). A seat used on
# the day stays used: marking attendance never frees it (a past day with 3 attended of 4 seats has
# one free seat, not four).
SEAT_HOLDING = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
# A person with a booking in one of these is on the day (one such booking per person and day).
ON_THE_DAY = (
    BookingStatus.REQUESTED,
    BookingStatus.WAITING,
    BookingStatus.CONFIRMED,
    BookingStatus.ATTENDED,
    BookingStatus.NO_SHOW,
)


class Booking(models.Model):
    """A seat requested by a candidate site for one named person on one training day."""

    training_day = models.ForeignKey(TrainingDay, on_delete=models.PROTECT, related_name="bookings")
    candidate = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="mentorship_bookings")
    attendee_name = models.CharField(_("attendee"), max_length=200)
    attendee_email = models.EmailField(_("attendee's e-mail"))
    status = models.CharField(_("status"), max_length=12, choices=BookingStatus.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The calendar invitation's UID: the same for the request and its cancellation.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("comment"), blank=True, max_length=4000)
    rated_at = models.DateTimeField(null=True, blank=True)
    reminder_7_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_1_sent_at = models.DateTimeField(null=True, blank=True)
    # The attendee confirmed their address (the link in the booking's e-mails), or booked for
    # themselves: until then the registry's repeated messages (reminders) go to the booker only.
    attendee_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["training_day__date", "id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(
                "training_day",
                Lower("attendee_email"),
                condition=Q(status__in=ON_THE_DAY),
                name="booking_one_seat_per_person_and_day",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="booking_rating_1_to_5"
            ),
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="booking_status_known"),
        ]
        indexes = [models.Index(fields=["training_day", "status"], name="booking_day_status")]

    def __str__(self):
        return f"{self.attendee_name} — {self.training_day} ({self.get_status_display()})"


class BookingEvent(models.Model):
    """Who moved a booking, when, from what to what, and why. Append-only (a database trigger)."""

    APPEND_ONLY = ("actor_id",)  # programmes/append_only.py: a deleted account's id may be cleared

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    # Empty for the registry's own moves (a waiting request promoted when a seat frees).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    side = models.CharField(max_length=10)  # mentor, mentee or registry
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"


class SeatProposal(models.Model):
    """A seat IOF staff confirmed from the cohort matching: an invitation to the candidate site to
    book on that day (the booking itself goes through the same rules as any other)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        BOOKED = "booked", _("Booked")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    candidate = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="seat_proposals")
    training_day = models.ForeignKey(TrainingDay, on_delete=models.CASCADE, related_name="proposals")
    score = models.DecimalField(max_digits=6, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate"], condition=Q(status="open"), name="seat_proposal_one_open_per_candidate"
            ),
        ]

    def __str__(self):
        return f"{self.candidate} → {self.training_day}"
