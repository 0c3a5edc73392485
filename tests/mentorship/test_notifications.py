"""E-mails at each step, the .ics invitation and its CANCEL, and the reminders (once each)."""

import pytest
from django.core import mail
from icalendar import Calendar

from mentorship import services
from mentorship.calendar import event_uid
from mentorship.models import Booking, BookingStatus
from tests.conftest import today_is
from tests.mentorship.conftest import days_from_today

S = BookingStatus


@pytest.fixture(autouse=True)
def english_day(day):
    """These tests read the English messages: the day teaches in English (the mentee's side reads the
    day's language when nobody chose one; see test_messages_follow_the_readers_language)."""
    day.language = "en"
    day.save(update_fields=["language"])
    return day


@pytest.fixture
def emails(django_capture_on_commit_callbacks):
    """Run the step, then its on-commit e-mail tasks (eager), and return what was sent."""

    def run(step):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = step()
        return result, list(mail.outbox)

    return run


def calendar_of(message):
    (attachment,) = [a for a in message.attachments if a[0].endswith(".ics")]
    return Calendar.from_ical(attachment[1]), attachment[2]


def test_a_request_tells_the_mentor(day, book, emails):
    _booking, sent = emails(lambda: book(day))
    assert [(m.to, m.subject) for m in sent] == [
        (["mentor@hospital.example"], f"Seat requested on your training day of {day.date.isoformat()}")
    ]


def test_a_waiting_request_tells_the_mentee(day, book, emails, mentee):
    for n in range(1, 4):
        book(day, n)
    _booking, sent = emails(lambda: book(day, 4))
    assert sent[0].to == ["attendee4@kazan.example", mentee.email]
    assert "waiting list" in sent[0].subject


def test_the_confirmation_carries_an_invitation_that_parses_back(day, book, mentor, emails):
    booking = book(day)
    _confirmed, sent = emails(lambda: services.booking_transition(booking=booking, to=S.CONFIRMED, actor=mentor))
    (message,) = sent
    assert message.to[0] == "attendee1@kazan.example"
    calendar, mimetype = calendar_of(message)
    assert mimetype.startswith("text/calendar; method=REQUEST")
    assert str(calendar["method"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == event_uid(booking)
    assert event.decoded("dtstart") == day.date
    assert event.decoded("dtend") == days_from_today(31)
    assert str(event["location"]) == "Regional Hospital, Yaroslavl"
    assert str(event["organizer"]) == "mailto:mentor@hospital.example"
    assert event["organizer"].params["CN"] == "Dr Irina Sokolova"
    assert str(event["attendee"]) == "mailto:attendee1@kazan.example"
    assert int(event["sequence"]) == 0


def test_cancelling_a_confirmed_seat_sends_the_matching_cancel(day, book, mentor, mentee, emails):
    booking = services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=mentor)
    _cancelled, sent = emails(
        lambda: services.booking_transition(booking=booking, to=S.CANCELLED, actor=mentee, reason="Cannot travel")
    )
    assert sorted(address for m in sent for address in m.to) == sorted(
        ["mentor@hospital.example", "attendee1@kazan.example", mentee.email]
    )
    to_mentee = next(m for m in sent if "attendee1@kazan.example" in m.to)
    calendar, mimetype = calendar_of(to_mentee)
    assert mimetype.startswith("text/calendar; method=CANCEL")
    (event,) = calendar.walk("VEVENT")
    assert (str(calendar["method"]), str(event["uid"]), int(event["sequence"]), str(event["status"])) == (
        "CANCEL",
        event_uid(booking),
        1,
        "CANCELLED",
    )
    to_mentor = next(m for m in sent if "mentor@hospital.example" in m.to)
    assert "Cannot travel" in to_mentor.body
    assert not to_mentor.attachments


def test_a_freed_seat_tells_the_promoted_mentee_and_the_mentor(day, book, mentee, emails):
    first = book(day, 1)
    for n in range(2, 5):
        book(day, n)
    _done, sent = emails(
        lambda: services.booking_transition(booking=first, to=S.CANCELLED, actor=mentee, reason="Changed plans")
    )
    promoted = [m for m in sent if "seat became free" in m.subject]
    assert sorted(a for m in promoted for a in m.to) == sorted(
        ["attendee4@kazan.example", mentee.email, "mentor@hospital.example"]
    )


def confirmed(day, book, mentor, n=1):
    return services.booking_transition(booking=book(day, n), to=S.CONFIRMED, actor=mentor)


def test_reminders_go_seven_days_then_one_day_before_once_each(day, book, mentor, emails):
    confirmed(day, book, mentor)
    # day is in 30 days: nothing yet 8 days before
    assert emails(lambda: services.booking_reminders_send(today=days_from_today(22)))[0] == {"1": 0, "7": 0}
    counts, sent = emails(lambda: services.booking_reminders_send(today=days_from_today(23)))
    assert counts == {"1": 0, "7": 1}
    assert [m.subject for m in sent] == [f"Reminder: training day at FLS Yaroslavl on {day.date.isoformat()}"]
    assert "in 7 days" in sent[0].body
    assert emails(lambda: services.booking_reminders_send(today=days_from_today(24)))[0] == {"1": 0, "7": 0}
    counts, sent = emails(lambda: services.booking_reminders_send(today=days_from_today(29)))
    assert counts == {"1": 1, "7": 0}
    assert "tomorrow" in sent[0].body
    assert emails(lambda: services.booking_reminders_send(today=days_from_today(29)))[0] == {"1": 0, "7": 0}
    assert emails(lambda: services.booking_reminders_send(today=days_from_today(30)))[0] == {"1": 0, "7": 0}


def test_a_seat_confirmed_the_day_before_gets_only_the_one_day_reminder(champion, mentor, book, emails):
    from tests.mentorship.conftest import publish_day

    day = publish_day(champion, mentor, in_days=3, deadline_in_days=1)
    confirmed(day, book, mentor)
    with today_is(days_from_today(2)):
        counts, sent = emails(lambda: services.booking_reminders_send())
    assert counts == {"1": 1, "7": 0}
    assert len(sent) == 1
    booking = Booking.objects.get()
    assert booking.reminder_1_sent_at is not None and booking.reminder_7_sent_at is not None


def test_only_confirmed_seats_are_reminded(day, book, emails):
    book(day)
    assert emails(lambda: services.booking_reminders_send(today=days_from_today(29)))[0] == {"1": 0, "7": 0}


def test_the_beat_runs_the_reminders_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["mentorship-reminders"]
    assert entry["task"] == "mentorship.send_reminders"
    from fls_registry.celery import app

    assert "mentorship.send_reminders" in app.tasks


def test_messages_follow_the_readers_language(day, book, mentor, mentee, emails):
    """The mentee's side reads the day's teaching language unless a person chose another."""
    day.language = "ru"
    day.save(update_fields=["language"])
    mentee.language = "fr"
    mentee.save(update_fields=["language"])
    booking = book(day)
    _done, sent = emails(lambda: services.booking_transition(booking=booking, to=S.CONFIRMED, actor=mentor))
    by_address = {tuple(m.to): m for m in sent}
    date_ru, date_fr = day.date.strftime("%d.%m.%Y"), day.date.strftime("%d/%m/%Y")
    assert (
        by_address[("attendee1@kazan.example",)].subject
        == f"Место подтверждено: день обучения {date_ru}, FLS Yaroslavl"
    )
    assert by_address[(mentee.email,)].subject == f"Place confirmée : journée de formation du {date_fr} à FLS Yaroslavl"
    assert "Здравствуйте" in by_address[("attendee1@kazan.example",)].body
    assert all(calendar_of(m) for m in sent)  # each language's message carries the invitation


def test_reminders_reach_a_typed_attendee_address_only_once_it_is_confirmed(day, book, mentor, emails, client):
    import re

    booking = book(day)  # the candidate's lead books for "Attendee 1", a typed address
    _done, sent = emails(lambda: services.booking_transition(booking=booking, to=S.CONFIRMED, actor=mentor))
    [message] = [m for m in sent if booking.attendee_email in m.to]
    link = re.search(r"https?://[^\s]+/mentorship/attendees/[^\s]+/", message.body).group(0)
    counts, sent = emails(lambda: services.booking_reminders_send(today=days_from_today(23)))
    assert counts == {"1": 0, "7": 1}
    assert [m.to for m in sent] == [[booking.requested_by.email]]  # the booker only

    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200
    assert client.post(f"/{path}").status_code == 200
    counts, sent = emails(lambda: services.booking_reminders_send(today=days_from_today(29)))
    assert counts == {"1": 1, "7": 0}
    assert booking.attendee_email in sent[0].to
    assert client.post("/mentorship/attendees/forged/").status_code == 400
