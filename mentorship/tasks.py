"""Thin Celery wrappers: ids in, one service or one message out, JSON only; e-mails retried."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.language import addresses_by_language
from accounts.models import User
from mentorship.calendar import booking_ics
from mentorship.models import Booking, BookingStatus, JoinRequest, SeatProposal
from mentorship.permissions import MC
from programmes.authority import people_holding, roles_holding
from programmes.inputs import one_line
from recognition.tasks import DATABASE_RETRY, EMAIL_RETRY

# Who hears of each event: the mentor's side (the offer's contact), the mentee's side (the
# attendee and the person who booked), or both.
AUDIENCE = {
    BookingStatus.REQUESTED: ("mentor",),
    BookingStatus.WAITING: ("mentee",),
    "promoted": ("mentor", "mentee"),
    BookingStatus.CONFIRMED: ("mentee",),
    BookingStatus.DECLINED: ("mentee",),
    BookingStatus.CANCELLED: ("mentor", "mentee"),
    BookingStatus.ATTENDED: ("mentee",),
    BookingStatus.NO_SHOW: ("mentee",),
    "reminder": ("mentee",),
}
SUBJECTS = {
    BookingStatus.REQUESTED: _("Seat requested on your training day of {date}"),
    BookingStatus.WAITING: _("On the waiting list for the training day of {date}"),
    "promoted": _("A seat became free on the training day of {date}"),
    BookingStatus.CONFIRMED: _("Seat confirmed: training day of {date} at {champion}"),
    BookingStatus.DECLINED: _("Seat declined: training day of {date} at {champion}"),
    BookingStatus.CANCELLED: _("Booking cancelled: training day of {date} at {champion}"),
    BookingStatus.ATTENDED: _("Thank you for attending: please rate the training day of {date}"),
    BookingStatus.NO_SHOW: _("Marked as not attending the training day of {date}"),
    "reminder": _("Reminder: training day at {champion} on {date}"),
}


# Messages the registry repeats by itself: an attendee address nobody confirmed does not get them.
REPEATED = {"reminder"}


def _recipients(booking: Booking, side: str, event: str = "") -> list[str]:
    if side == "mentor":
        offer = getattr(booking.training_day.programme, "champion_offer", None)
        return [offer.contact_email] if offer else []
    confirmed = booking.attendee_confirmed_at is not None
    found = [booking.attendee_email] if confirmed or event not in REPEATED else []
    if booking.requested_by_id and booking.requested_by.is_active:
        found.append(booking.requested_by.email.lower())
    return found


@shared_task(name="mentorship.send_booking_email", **EMAIL_RETRY)
def send_booking_email(booking_id: int, event: str, extra: dict | None = None) -> int:
    """One message per address concerned by a booking's step; a confirmation carries the .ics
    invitation, a cancellation of a confirmed seat the matching CANCEL."""
    booking = (
        Booking.objects.select_related("training_day__programme__champion_offer", "candidate", "requested_by")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None or event not in SUBJECTS:
        return 0
    extra = extra or {}
    day = booking.training_day

    def compose(side: str, recipients: list[str]) -> EmailMessage:
        subject = str(SUBJECTS[event]).format(
            date=date_format(day.date, "SHORT_DATE_FORMAT"), champion=day.programme.name
        )
        context = {"booking": booking, "day": day, "event": event, "extra": extra, "side": side}
        if side == "mentee" and booking.attendee_confirmed_at is None:
            from mentorship.services import attendee_token

            context["confirm_path"] = reverse("mentorship:attendee_confirm", args=[attendee_token(booking)])
        body = render_to_string("mentorship/email/booking.txt", {**context, "site_url": settings.SITE_URL})
        message = EmailMessage(one_line(subject), body, None, recipients)
        if side == "mentee" and event == BookingStatus.CONFIRMED:
            message.attach("training-day.ics", booking_ics(booking), "text/calendar; method=REQUEST; charset=utf-8")
        if side == "mentee" and event == BookingStatus.CANCELLED and extra.get("was") == BookingStatus.CONFIRMED:
            message.attach(
                "training-day.ics", booking_ics(booking, cancel=True), "text/calendar; method=CANCEL; charset=utf-8"
            )
        return message

    sent = 0
    for side in AUDIENCE[event]:
        # The mentee's side reads the day's teaching language unless they chose another; the
        # mentor's side the champion programme's.
        fallbacks = [day.language] if side == "mentee" else day.programme.languages
        sent += _send_in_their_languages(_recipients(booking, side, event), fallbacks, partial(compose, side))
    return sent


def _send_in_their_languages(addresses, fallbacks, compose) -> int:
    """One message per language among the readers (``accounts.language.addresses_by_language``):
    ``compose(addresses)`` writes it in that language. Returns how many addresses it went to."""
    sent = 0
    for language, group in addresses_by_language(addresses, *fallbacks).items():
        with translation.override(language):
            message = compose(group)
        message.send()
        sent += len(group)
    return sent


@shared_task(name="mentorship.send_join_request_email", **EMAIL_RETRY)
def send_join_request_email(request_id: int) -> int:
    """A new request goes to IOF staff; a decline goes back to its contact (an approval sends the
    lead invitation instead)."""
    join_request = JoinRequest.objects.filter(pk=request_id).first()
    if join_request is None:
        return 0
    if join_request.status == JoinRequest.Status.PENDING:
        # Whoever decides on requests to join (IOF staff, superusers): by capability.
        recipients = User.objects.filter(pk__in=people_holding(MC.MANAGE)).values_list("email", flat=True)
        subject = _("Request to join the mentorship programme: %(name)s")
        fallbacks = []
    elif join_request.status == JoinRequest.Status.DECLINED:
        recipients = [join_request.contact_email]
        subject = _("Your request to join: %(name)s")
        fallbacks = join_request.languages
    else:
        return 0

    def compose(addresses: list[str]) -> EmailMessage:
        body = render_to_string(
            "mentorship/email/join_request.txt", {"join_request": join_request, "site_url": settings.SITE_URL}
        )
        return EmailMessage(one_line(str(subject) % {"name": join_request.name}), body, None, addresses)

    return _send_in_their_languages(sorted(recipients), fallbacks, compose)


@shared_task(name="mentorship.send_proposal_email", **EMAIL_RETRY)
def send_proposal_email(proposal_id: int) -> int:
    """IOF staff propose a seat: the candidate site's lead and coordinators are invited to book it."""
    proposal = (
        SeatProposal.objects.select_related("candidate", "training_day__programme").filter(pk=proposal_id).first()
    )
    if proposal is None or proposal.status != SeatProposal.Status.OPEN:
        return 0
    recipients = (
        User.objects.filter(
            is_active=True,
            memberships__programme=proposal.candidate,
            memberships__role__in=roles_holding(MC.TAKE_PART),
        )
        .values_list("email", flat=True)
        .order_by("email")
    )
    day = proposal.training_day

    def compose(addresses: list[str]) -> EmailMessage:
        subject = _("A seat for you: training day of %(date)s at %(champion)s") % {
            "date": date_format(day.date, "SHORT_DATE_FORMAT"),
            "champion": day.programme.name,
        }
        body = render_to_string(
            "mentorship/email/proposal.txt", {"proposal": proposal, "day": day, "site_url": settings.SITE_URL}
        )
        return EmailMessage(one_line(subject), body, None, addresses)

    return _send_in_their_languages(recipients, proposal.candidate.languages, compose)


@shared_task(name="mentorship.send_reminders", **DATABASE_RETRY)
def send_reminders() -> dict:
    from mentorship.services import booking_reminders_send

    return booking_reminders_send()
