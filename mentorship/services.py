"""Every write of mentorship. Each checks authority itself and records its audit row in the same
transaction: booking moves in ``BookingEvent`` (append-only), grants and offers in the access log.

Seats are settled by the database: every booking write first locks the training day's row
(``SELECT … FOR UPDATE``), so requests to one day queue up there and each counts the seats held by
those committed before it; a partial unique index keeps one person to one booking per day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import clock
from mentorship import selectors
from mentorship.models import (
    SEAT_HOLDING,
    Booking,
    BookingEvent,
    BookingStatus,
    CandidateProfile,
    ChampionOffer,
    JoinRequest,
    SeatProposal,
    Topic,
    TrainingDay,
)
from mentorship.permissions import MC, MENTEE, MENTOR, REGISTRY, booking_sides
from programmes import services as programme_services
from programmes.authority import authority_for
from programmes.inputs import check_date_range
from programmes.models import AccessEvent, Programme, ProgrammeStatus
from recognition.services import EditConflict

S = BookingStatus
A = AccessEvent.Action


def _on_commit_email(booking: Booking, event: str, **extra) -> None:
    from mentorship.tasks import send_booking_email

    transaction.on_commit(lambda: send_booking_email.delay(booking.pk, event, extra))


# --- Champion offer and candidate profile ------------------------------------------------------------


@dataclass(frozen=True)
class OfferInput:
    is_open: bool
    languages: list[str]
    topics: list[str]
    contact_name: str
    contact_email: str
    mentor_text: str = ""
    version: int | None = None


@transaction.atomic
def champion_offer_save(*, programme: Programme, actor, offer: OfferInput) -> ChampionOffer:
    """Open, edit or withdraw the programme's offer to mentor (its lead only). Opening needs a valid
    silver or gold recognition; when it lapses later the offer shows as paused by itself."""
    if not authority_for(actor, programme).can(MC.OFFER):
        raise PermissionDenied(_("Only the programme's lead can change its champion offer."))
    if offer.is_open and not selectors.is_recognised_champion(programme):
        raise ValidationError(
            _("Only a programme with a valid silver or gold recognition can offer mentorship as a champion.")
        )
    unknown = sorted(set(offer.topics) - set(Topic.values))
    if unknown:
        raise ValidationError({"topics": _("Unknown topic: %(topics)s") % {"topics": ", ".join(unknown)}})
    if offer.is_open and not offer.languages:
        raise ValidationError({"languages": _("Give at least one language you can teach in.")})
    Programme.objects.select_for_update(no_key=True).get(pk=programme.pk)
    current = ChampionOffer.objects.filter(programme=programme).first() or ChampionOffer(programme=programme)
    if offer.version is not None and current.pk is not None and current.version != offer.version:
        raise EditConflict(
            _("Someone else changed this offer since you opened it. Nothing was saved: reload to see theirs.")
        )
    current.is_open = offer.is_open
    current.languages = list(dict.fromkeys(offer.languages))
    current.topics = [t for t in Topic.values if t in offer.topics]
    current.contact_name = offer.contact_name.strip()
    current.contact_email = offer.contact_email.strip().lower()
    current.mentor_text = offer.mentor_text.strip()
    current.version += 1
    current.full_clean(exclude=["programme"])
    current.save()
    programme_services.access_event_record(
        programme=programme, actor=actor, action=A.CHAMPION_OFFER_CHANGED, is_open=current.is_open
    )
    return current


@transaction.atomic
def candidate_profile_save(
    *,
    programme: Programme,
    actor,
    expected_yearly_fractures: int,
    accepts_interpretation: bool,
    contact_name: str,
    contact_email: str,
) -> CandidateProfile:
    if not (authority_for(actor, programme).can(MC.OFFER) or authority_for(actor).can(MC.MANAGE)):
        raise PermissionDenied(_("Only the site's lead or IOF staff can change its candidate profile."))
    if programme.status != ProgrammeStatus.CANDIDATE:
        raise ValidationError(_("Only a candidate site has a candidate profile."))
    profile, _created = CandidateProfile.objects.select_for_update().get_or_create(
        programme=programme,
        defaults={
            "expected_yearly_fractures": expected_yearly_fractures,
            "contact_name": contact_name,
            "contact_email": contact_email,
        },
    )
    profile.expected_yearly_fractures = expected_yearly_fractures
    profile.accepts_interpretation = accepts_interpretation
    profile.contact_name = contact_name.strip()
    profile.contact_email = contact_email.strip().lower()
    profile.full_clean(exclude=["programme"])
    profile.save()
    programme_services.access_event_record(programme=programme, actor=actor, action=A.CANDIDATE_PROFILE_CHANGED)
    return profile


# --- Requests to join -----------------------------------------------------------------------------


JOIN_FIELDS = (
    "name",
    "institution",
    "country",
    "city",
    "latitude",
    "longitude",
    "languages",
    "care_setting",
    "expected_yearly_fractures",
    "accepts_interpretation",
    "contact_name",
    "contact_email",
    "message",
)


@transaction.atomic
def join_request_submit(**fields) -> JoinRequest:
    """An institution asks to join (no account needed); IOF staff are told."""
    from mentorship.tasks import send_join_request_email

    unknown = set(fields) - set(JOIN_FIELDS)
    if unknown:
        raise ValueError(f"not a request field: {sorted(unknown)}")
    request = JoinRequest(**fields)
    request.contact_email = request.contact_email.strip().lower()
    request.full_clean(exclude=["programme", "decided_by"])
    request.save()
    transaction.on_commit(lambda: send_join_request_email.delay(request.pk))
    return request


def _unique_slug(name: str, city: str) -> str:
    base = f"{(slugify(city) or slugify(name) or 'site')[:50].strip('-')}-candidate"
    slug, n = base, 2
    while Programme.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# A request to join: pending, then approved or declined by IOF staff, once.
JOIN_REQUEST_TRANSITIONS = {
    (JoinRequest.Status.PENDING, JoinRequest.Status.APPROVED): A.JOIN_REQUEST_APPROVED,
    (JoinRequest.Status.PENDING, JoinRequest.Status.DECLINED): A.JOIN_REQUEST_DECLINED,
}


def _join_request_move(join_request: JoinRequest, to: str, actor, comment: str) -> JoinRequest:
    """The one way a request to join changes status (under ``_pending``'s lock and check), with
    its access-log row."""
    action = JOIN_REQUEST_TRANSITIONS.get((join_request.status, to))
    if action is None or not authority_for(actor).can(MC.MANAGE):
        raise PermissionDenied(_("Only IOF staff decide on requests to join."))
    join_request.status = to
    join_request.decided_by = actor
    join_request.decided_at = timezone.now()
    join_request.decision_comment = comment.strip()
    join_request.save()
    programme_services.access_event_record(
        programme=join_request.programme, actor=actor, action=action, request=join_request.pk
    )
    return join_request


def _pending(join_request: JoinRequest, actor) -> JoinRequest:
    if not authority_for(actor).can(MC.MANAGE):
        raise PermissionDenied(_("Only IOF staff decide on requests to join."))
    join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if join_request.status != JoinRequest.Status.PENDING:
        raise ValidationError(
            _("This request was already %(status)s.") % {"status": join_request.get_status_display().lower()}
        )
    return join_request


@transaction.atomic
def join_request_approve(*, join_request: JoinRequest, actor, comment: str = "") -> JoinRequest:
    """Create the candidate programme (status candidate), its profile, and invite the contact as lead."""
    join_request = _pending(join_request, actor)
    programme = programme_services.programme_create(
        actor=actor,
        slug=_unique_slug(join_request.name, join_request.city),
        name=join_request.name,
        institution=join_request.institution,
        country=join_request.country,
        city=join_request.city,
        latitude=join_request.latitude,
        longitude=join_request.longitude,
        languages=join_request.languages,
        care_setting=join_request.care_setting,
        status=ProgrammeStatus.CANDIDATE,
    )
    CandidateProfile.objects.create(
        programme=programme,
        expected_yearly_fractures=join_request.expected_yearly_fractures,
        accepts_interpretation=join_request.accepts_interpretation,
        contact_name=join_request.contact_name,
        contact_email=join_request.contact_email,
    )
    if join_request.contact_email != actor.email.lower():
        programme_services.invitation_create(
            actor=actor, email=join_request.contact_email, role="lead", programme=programme
        )
    join_request.programme = programme
    return _join_request_move(join_request, JoinRequest.Status.APPROVED, actor, comment)


@transaction.atomic
def join_request_decline(*, join_request: JoinRequest, actor, comment: str) -> JoinRequest:
    join_request = _pending(join_request, actor)
    if not comment.strip():
        raise ValidationError({"comment": _("Say why the request is declined: the contact is told.")})
    join_request = _join_request_move(join_request, JoinRequest.Status.DECLINED, actor, comment)
    from mentorship.tasks import send_join_request_email

    transaction.on_commit(lambda: send_join_request_email.delay(join_request.pk))
    return join_request


# --- Training days --------------------------------------------------------------------------------


def _check_host(actor, programme: Programme) -> None:
    if not authority_for(actor, programme).can(MC.TAKE_PART):
        raise PermissionDenied(_("Only the champion's lead or coordinators manage its training days."))


def _check_day_dates(day_date: date, deadline: date, today: date) -> None:
    errors = {}
    for field, value, label in (("date", day_date, _("The date")), ("booking_deadline", deadline, _("The deadline"))):
        try:
            check_date_range(value, label)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    if day_date <= today:
        errors["date"] = _("A training day must be in the future.")
    if deadline < today:
        errors["booking_deadline"] = _("The booking deadline has already passed.")
    elif deadline > day_date:
        errors["booking_deadline"] = _("The booking deadline must be on or before the day.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def training_day_create(
    *,
    programme: Programme,
    actor,
    date: date,
    seats: int,
    language: str,
    agenda: str,
    address: str,
    booking_deadline: date,
) -> TrainingDay:
    _check_host(actor, programme)
    offer = selectors.offer_of(programme)
    if selectors.offer_status(programme, offer) != selectors.OfferStatus.OPEN:
        raise ValidationError(
            _("Only a champion with an open offer (and a valid silver or gold recognition) publishes training days.")
        )
    if language not in offer.languages:
        raise ValidationError(
            {
                "language": _("Choose one of the offer's teaching languages: %(languages)s.")
                % {"languages": ", ".join(offer.languages)}
            }
        )
    _check_day_dates(date, booking_deadline, clock.today(offer.programme))
    day = TrainingDay(
        programme=programme,
        date=date,
        seats=seats,
        language=language,
        agenda=agenda.strip(),
        address=address.strip(),
        booking_deadline=booking_deadline,
        created_by=actor,
    )
    day.full_clean()
    day.save()
    return day


def _locked_day(pk) -> TrainingDay:
    """The day's row, locked until the transaction ends: every seat count is taken under it."""
    return TrainingDay.objects.all_programmes().select_for_update().select_related("programme").get(pk=pk)


def _held(day: TrainingDay) -> int:
    return Booking.objects.filter(training_day=day, status__in=SEAT_HOLDING).count()


@transaction.atomic
def training_day_update(
    *, day: TrainingDay, actor, seats: int, agenda: str, address: str, booking_deadline: date
) -> TrainingDay:
    """Seats, agenda, address and deadline; never fewer seats than are held. The date and language
    stay as booked (cancel the bookings and publish another day to move it)."""
    day = _locked_day(day.pk)
    _check_host(actor, day.programme)
    today = clock.today(day.programme)
    if day.date < today:
        raise ValidationError(_("This training day is over: it can no longer be changed."))
    held = _held(day)
    if seats < held:
        raise ValidationError(
            {
                "seats": _("%(held)d seats are requested or confirmed: cancel bookings before going below.")
                % {"held": held}
            }
        )
    if booking_deadline > day.date:
        raise ValidationError({"booking_deadline": _("The booking deadline must be on or before the day.")})
    if booking_deadline != day.booking_deadline and booking_deadline < today:
        raise ValidationError({"booking_deadline": _("The booking deadline has already passed.")})
    day.seats = seats
    day.agenda = agenda.strip()
    day.address = address.strip()
    day.booking_deadline = booking_deadline
    day.full_clean()
    day.save()
    _promote_waiting(day)
    return day


# --- Bookings -------------------------------------------------------------------------------------


def _already_on_the_day(email: str) -> ValidationError:
    """The partial unique index (day, lower(e-mail)) refused a second place: the one check there is."""
    return ValidationError(
        _("%(email)s already has a seat or a place on the waiting list for this day.") % {"email": email}
    )


def _record(booking: Booking, *, from_status: str, actor, side: str, reason: str = "") -> None:
    BookingEvent.objects.create(
        booking=booking, from_status=from_status, to_status=booking.status, actor=actor, side=side, reason=reason
    )


@transaction.atomic
def booking_request(
    *, training_day: TrainingDay, candidate: Programme, actor, attendee_name: str, attendee_email: str
) -> Booking:
    """Ask for a seat for one named person: ``requested`` while a seat is free, else ``waiting``."""
    if not authority_for(actor, candidate).can(MC.TAKE_PART):
        raise PermissionDenied(_("Only the candidate site's lead or coordinators book seats for it."))
    if candidate.status != ProgrammeStatus.CANDIDATE:
        raise ValidationError(_("Only a candidate site books seats on training days."))
    attendee_name = attendee_name.strip()
    attendee_email = attendee_email.strip().lower()
    probe = Booking(attendee_name=attendee_name, attendee_email=attendee_email)
    probe.clean_fields(exclude={f.name for f in Booking._meta.fields} - {"attendee_name", "attendee_email"})
    day = _locked_day(training_day.pk)
    today = clock.today(day.programme)
    if day.date < today:
        raise ValidationError(_("This training day (%(date)s) is in the past.") % {"date": day.date.isoformat()})
    if day.booking_deadline < today:
        raise ValidationError(
            _("Bookings for this day closed on %(deadline)s.") % {"deadline": day.booking_deadline.isoformat()}
        )
    if selectors.offer_status(day.programme) != selectors.OfferStatus.OPEN:
        raise ValidationError(_("This champion's offer is paused: it takes no bookings for now."))
    status = S.REQUESTED if _held(day) < day.seats else S.WAITING
    _check_fair_share(day, candidate, status)
    for_themselves = attendee_email == (getattr(actor, "email", "") or "").lower()
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                training_day=day,
                candidate=candidate,
                attendee_name=attendee_name,
                attendee_email=attendee_email,
                status=status,
                requested_by=actor,
                attendee_confirmed_at=timezone.now() if for_themselves else None,
            )
    except IntegrityError as exc:
        if "booking_one_seat_per_person_and_day" not in str(exc):
            raise
        raise _already_on_the_day(attendee_email) from None
    _record(booking, from_status="", actor=actor, side=MENTEE)
    for proposal in SeatProposal.objects.filter(candidate=candidate, training_day=day, status=SeatProposal.Status.OPEN):
        seat_proposal_transition(proposal=proposal, to=SeatProposal.Status.BOOKED, actor=None)
    _on_commit_email(booking, status)
    return booking


ATTENDEE_SALT = "mentorship.attendee"
ATTENDEE_LINK_DAYS = 400


def attendee_token(booking: Booking) -> str:
    """The signed link in a booking's e-mails with which the attendee confirms their address."""
    from django.core import signing

    return signing.dumps({"booking": booking.pk, "email": booking.attendee_email}, salt=ATTENDEE_SALT)


@transaction.atomic
def attendee_confirm(*, token: str) -> Booking:
    """The attendee confirmed their address: the booking's reminders go to it too from now on."""
    from django.core import signing

    invalid = ValidationError(_("This confirmation link is not valid: it was mistyped, or the booking changed."))
    try:
        found = signing.loads(token, salt=ATTENDEE_SALT, max_age=ATTENDEE_LINK_DAYS * 24 * 3600)
    except signing.BadSignature:
        raise invalid from None
    booking = Booking.objects.select_for_update().filter(pk=found.get("booking")).first()
    if booking is None or booking.attendee_email != found.get("email"):
        raise invalid
    if booking.attendee_confirmed_at is None:
        booking.attendee_confirmed_at = timezone.now()
        booking.save(update_fields=["attendee_confirmed_at", "updated_at"])
    return booking


def _check_fair_share(day: TrainingDay, candidate: Programme, status: str) -> None:
    """Under the day's lock: the waiting list of a day holds at most ``MENTORSHIP_WAITING_PER_DAY``
    places, and, when the registry sets ``MENTORSHIP_PLACES_PER_CANDIDATE``, one candidate site
    holds at most that many places on a day (seats and waiting places together)."""
    from django.conf import settings

    share = settings.MENTORSHIP_PLACES_PER_CANDIDATE
    if share:
        mine = Booking.objects.filter(training_day=day, candidate=candidate, status__in=[*SEAT_HOLDING, S.WAITING])
        if mine.count() >= share:
            raise ValidationError(
                ngettext(
                    "%(candidate)s already holds %(count)s place on this day, the most one candidate site may hold.",
                    "%(candidate)s already holds %(count)s places on this day, the most one candidate site may hold.",
                    share,
                )
                % {"candidate": candidate.name, "count": share}
            )
    if (
        status == S.WAITING
        and Booking.objects.filter(training_day=day, status=S.WAITING).count() >= settings.MENTORSHIP_WAITING_PER_DAY
    ):
        raise ValidationError(_("Every seat of this day is taken and the waiting list is full. Choose another day."))


@dataclass(frozen=True)
class Rule:
    sides: frozenset[str]
    reason_required: bool = False
    when: str = "any"  # "before": until the day (inclusive); "after": on or after the day


# The booking state machine: (from, to) → who may make the move and when. Nothing else moves.
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (S.REQUESTED, S.CONFIRMED): Rule(frozenset({MENTOR}), when="before"),
    (S.REQUESTED, S.DECLINED): Rule(frozenset({MENTOR}), reason_required=True),
    (S.REQUESTED, S.CANCELLED): Rule(frozenset({MENTEE}), reason_required=True),
    (S.WAITING, S.REQUESTED): Rule(frozenset({REGISTRY})),
    (S.WAITING, S.DECLINED): Rule(frozenset({MENTOR}), reason_required=True),
    (S.WAITING, S.CANCELLED): Rule(frozenset({MENTEE}), reason_required=True),
    (S.CONFIRMED, S.CANCELLED): Rule(frozenset({MENTOR, MENTEE}), reason_required=True, when="before"),
    (S.CONFIRMED, S.ATTENDED): Rule(frozenset({MENTOR}), when="after"),
    (S.CONFIRMED, S.NO_SHOW): Rule(frozenset({MENTOR}), when="after"),
}


def allowed_moves(booking: Booking, sides: set[str], today: date | None = None) -> list[str]:
    """The states these sides may move this booking to now (what the page offers)."""
    today = today or clock.today(booking.training_day.programme)
    moves = []
    for (from_status, to_status), rule in TRANSITIONS.items():
        if from_status == booking.status and rule.sides & sides and _in_time(rule, booking.training_day, today):
            moves.append(to_status)
    return moves


def _in_time(rule: Rule, day: TrainingDay, today: date) -> bool:
    if rule.when == "before":
        return today <= day.date
    if rule.when == "after":
        return today >= day.date
    return True


@transaction.atomic
def booking_transition(*, booking: Booking, to: str, actor, reason: str = "", side: str | None = None) -> Booking:
    """The one way a booking changes state. ``actor=None`` is the registry itself (promotion).
    ``side`` says which side acts when the actor belongs to both programmes."""
    day = _locked_day(booking.training_day_id)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    booking.training_day = day
    rule = TRANSITIONS.get((booking.status, to))
    if rule is None:
        raise ValidationError(
            _("A booking that is %(from)s cannot become %(to)s.")
            % {"from": booking.get_status_display().lower(), "to": _label(to)}
        )
    sides = {REGISTRY} if actor is None else booking_sides(actor, booking)
    if side is not None:
        sides &= {side}
    acting = rule.sides & sides
    if not acting:
        raise PermissionDenied(_("You may not make this booking %(to)s.") % {"to": _label(to)})
    today = clock.today(day.programme)
    if not _in_time(rule, day, today):
        raise ValidationError(
            _("Attendance is marked on or after the day.")
            if rule.when == "after"
            else _("The day is over: this booking can no longer be %(to)s.") % {"to": _label(to)}
        )
    reason = reason.strip()
    if rule.reason_required and not reason:
        raise ValidationError({"reason": _("Give a reason: the other side is told.")})
    from_status = booking.status
    booking.status = to
    booking.save(update_fields=["status", "updated_at"])
    chosen = MENTOR if MENTOR in acting else next(iter(acting))
    _record(booking, from_status=from_status, actor=actor, side=chosen, reason=reason)
    if chosen == REGISTRY:
        _on_commit_email(booking, "promoted")
    else:
        _on_commit_email(booking, to, by=chosen, reason=reason, was=from_status)
    if from_status in SEAT_HOLDING and to not in SEAT_HOLDING:
        _promote_waiting(day)
    return booking


def _label(status: str) -> str:
    return str(BookingStatus(status).label).lower() if status in BookingStatus.values else status


def _promote_waiting(day: TrainingDay) -> list[Booking]:
    """Under the day's lock: move waiting bookings to requested, oldest first, while seats are free."""
    promoted = []
    if day.date < clock.today(day.programme):
        return promoted
    free = day.seats - _held(day)
    for booking in Booking.objects.filter(training_day=day, status=S.WAITING).order_by("id")[: max(free, 0)]:
        promoted.append(
            booking_transition(booking=booking, to=S.REQUESTED, actor=None, reason=_("A seat became free."))
        )
    return promoted


@transaction.atomic
def booking_rate(*, booking: Booking, actor, rating: int, comment: str = "") -> Booking:
    """The candidate site rates a day its attendee attended: once, 1 to 5, with an optional comment."""
    booking = (
        Booking.objects.select_for_update().select_related("training_day__programme", "candidate").get(pk=booking.pk)
    )
    if MENTEE not in booking_sides(actor, booking):
        raise PermissionDenied(_("Only the candidate site that booked rates the day."))
    if booking.status != S.ATTENDED:
        raise ValidationError(_("Only a day the attendee attended can be rated."))
    if booking.rated_at is not None:
        raise ValidationError(_("This day was already rated."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Rate the day from 1 to 5.")})
    booking.rating = rating
    booking.rating_comment = comment.strip()
    booking.rated_at = timezone.now()
    booking.full_clean()
    booking.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    return booking


def booking_reminders_send(*, today: date | None = None) -> dict[str, int]:
    """Reminders for confirmed bookings, 7 days and 1 day before, once each. Each reminder is
    claimed by an UPDATE … WHERE not yet sent, so two runs never send the same one twice; a booking
    confirmed within the last day gets only the 1-day reminder. "7 days before" counts in the host
    programme's days (its time zone), unless ``today`` is given for all."""
    now = timezone.now()
    confirmed = Booking.objects.filter(status=S.CONFIRMED)
    if today is not None:
        return _reminders_send(confirmed.filter(training_day__date__gte=today), today, now)
    zones = confirmed.values_list("training_day__programme__time_zone", flat=True).distinct()
    sent = {"1": 0, "7": 0}
    for zone in zones:
        day = clock.today_in(zone, now)
        counts = _reminders_send(
            confirmed.filter(training_day__programme__time_zone=zone, training_day__date__gte=day), day, now
        )
        sent = {key: sent[key] + counts[key] for key in sent}
    return sent


def _reminders_send(confirmed, today: date, now) -> dict[str, int]:
    with transaction.atomic():
        one_day = list(
            confirmed.filter(training_day__date__lte=today + timedelta(days=1), reminder_1_sent_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)
        )
        Booking.objects.filter(pk__in=one_day).update(reminder_1_sent_at=now)
        Booking.objects.filter(pk__in=one_day, reminder_7_sent_at__isnull=True).update(reminder_7_sent_at=now)
        seven = list(
            confirmed.filter(training_day__date__lte=today + timedelta(days=7), reminder_7_sent_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)
        )
        Booking.objects.filter(pk__in=seven).update(reminder_7_sent_at=now)
        for pk in one_day:
            _on_commit_email(Booking(pk=pk), "reminder", days=1)
        for pk in seven:
            _on_commit_email(Booking(pk=pk), "reminder", days=7)
    return {"1": len(one_day), "7": len(seven)}


# --- Cohort proposals -----------------------------------------------------------------------------


@transaction.atomic
def seat_proposals_confirm(*, actor, pairs: list[tuple[int, int, float]]) -> list[SeatProposal]:
    """IOF staff confirm (candidate programme id, training day id, score) pairs: each becomes an
    invitation to the candidate site to book that day. Refused as a whole if one pair no longer fits."""
    from mentorship.tasks import send_proposal_email

    if not authority_for(actor).can(MC.MANAGE):
        raise PermissionDenied(_("Only IOF staff confirm cohort proposals."))
    candidates = {p.pk: p for p in Programme.objects.filter(pk__in=[c for c, _d, _s in pairs])}
    today = timezone.localdate()
    open_ids = selectors.open_champion_ids(today)
    created = []
    for candidate_id, day_id, score in pairs:
        candidate = candidates.get(candidate_id)
        if candidate is None or candidate.status != ProgrammeStatus.CANDIDATE:
            raise ValidationError(_("Programme %(id)s is not a candidate site.") % {"id": candidate_id})
        day = _locked_day(day_id)
        proposed = SeatProposal.objects.filter(training_day=day, status=SeatProposal.Status.OPEN).count()
        if day.programme_id not in open_ids or day.booking_deadline < today:
            raise ValidationError(_("%(day)s no longer takes bookings: recompute the proposal.") % {"day": day})
        if _held(day) + proposed + 1 > day.seats:
            raise ValidationError(_("%(day)s has no free seat left: recompute the proposal.") % {"day": day})
        try:
            with transaction.atomic():
                proposal = SeatProposal.objects.create(
                    candidate=candidate, training_day=day, score=round(score, 2), proposed_by=actor
                )
        except IntegrityError:
            raise ValidationError(
                _("%(candidate)s already has an open proposal.") % {"candidate": candidate.name}
            ) from None
        programme_services.access_event_record(
            programme=candidate, actor=actor, action=A.SEAT_PROPOSED, training_day=day.pk, score=float(score)
        )
        created.append(proposal)
    for proposal in created:
        transaction.on_commit(lambda pk=proposal.pk: send_proposal_email.delay(pk))
    return created


# A seat proposal's moves: (from, to) -> who (a capability, or REGISTRY: the registry, when the
# candidate books the proposed day).
PROPOSAL_TRANSITIONS: dict[tuple[str, str], str] = {
    (SeatProposal.Status.OPEN, SeatProposal.Status.BOOKED): REGISTRY,
    (SeatProposal.Status.OPEN, SeatProposal.Status.WITHDRAWN): MC.MANAGE,
}


@transaction.atomic
def seat_proposal_transition(*, proposal: SeatProposal, to: str, actor) -> SeatProposal:
    """The one way a seat proposal changes status, with its access-log row (the candidate's)."""
    proposal = SeatProposal.objects.select_for_update().get(pk=proposal.pk)
    who = PROPOSAL_TRANSITIONS.get((proposal.status, to))
    if who is None:
        raise ValidationError(
            _("A proposal that is %(from)s cannot become %(to)s.")
            % {"from": proposal.get_status_display().lower(), "to": str(SeatProposal.Status(to).label).lower()}
        )
    if (actor is None) != (who == REGISTRY) or (actor is not None and not authority_for(actor).can(who)):
        raise PermissionDenied(_("Only IOF staff withdraw proposals."))
    from_status = proposal.status
    proposal.status = to
    proposal.save(update_fields=["status"])
    programme_services.access_event_record(
        programme=proposal.candidate,
        actor=actor,
        action=A.SEAT_PROPOSAL_MOVED,
        proposal=proposal.pk,
        training_day=proposal.training_day_id,
        **{"from": from_status, "to": to},
    )
    return proposal


def seat_proposal_withdraw(*, proposal: SeatProposal, actor) -> SeatProposal:
    return seat_proposal_transition(proposal=proposal, to=SeatProposal.Status.WITHDRAWN, actor=actor)
