"""The iCalendar (.ics) invitation sent with a confirmation, and the matching CANCEL.

Both carry the same UID (the booking's, which never changes), so a calendar that accepted the
invitation removes the event when the cancellation arrives; SEQUENCE rises with the cancellation
(RFC 5546). The event is an all-day event on the training day.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from mentorship.models import Booking

PRODUCT_ID = "-//FLS registry//Mentorship training days//EN"


def event_uid(booking: Booking) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "fls-registry.local"
    return f"training-day-booking-{booking.uid}@{host}"


def booking_ics(booking: Booking, *, cancel: bool = False) -> bytes:
    day = booking.training_day
    champion = day.programme
    offer = getattr(champion, "champion_offer", None)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", event_uid(booking))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", day.date)
    event.add("dtend", day.date + timedelta(days=1))
    event.add("summary", f"FLS training day: {champion.name}")
    event.add("location", day.address)
    event.add("description", day.agenda)
    event.add("sequence", 1 if cancel else 0)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{offer.contact_email if offer else settings.DEFAULT_FROM_EMAIL}")
    organiser.params["cn"] = vText(offer.contact_name if offer else champion.name)
    event["organizer"] = organiser
    attendee = vCalAddress(f"mailto:{booking.attendee_email}")
    attendee.params["cn"] = vText(booking.attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()
