"""The booking rules: seats, waiting list, refusals, and the state machine by side and state."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import ProgrammingError, transaction

from mentorship import services
from mentorship.models import Booking, BookingEvent, BookingStatus
from tests.conftest import today_is
from tests.mentorship.conftest import days_from_today, publish_day

S = BookingStatus


def statuses(day):
    return list(Booking.objects.filter(training_day=day).order_by("id").values_list("status", flat=True))


def test_requests_fill_the_seats_then_wait(day, book):
    for n in range(1, 6):
        book(day, n)
    assert statuses(day) == [S.REQUESTED, S.REQUESTED, S.REQUESTED, S.WAITING, S.WAITING]


def test_the_request_records_who_asked(day, book, mentee):
    booking = book(day)
    event = booking.events.get()
    assert (event.from_status, event.to_status, event.actor, event.side) == ("", S.REQUESTED, mentee, "mentee")


def test_the_same_person_cannot_hold_two_places_on_one_day(day, candidate, mentee, book):
    book(day, 1)
    with pytest.raises(ValidationError, match="attendee1@kazan.example already has a seat"):
        services.booking_request(
            training_day=day,
            candidate=candidate,
            actor=mentee,
            attendee_name="Same person",
            attendee_email="ATTENDEE1@kazan.example ",
        )
    assert Booking.objects.count() == 1


def test_the_database_refuses_a_second_place_even_without_the_check(day, candidate, mentee):
    Booking.objects.create(
        training_day=day, candidate=candidate, attendee_name="A", attendee_email="a@x.example", status=S.REQUESTED
    )
    with pytest.raises(Exception, match="booking_one_seat_per_person_and_day"), transaction.atomic():
        Booking.objects.create(
            training_day=day, candidate=candidate, attendee_name="A", attendee_email="A@x.example", status=S.WAITING
        )


def test_a_person_cancelled_may_ask_again(day, book, mentee):
    booking = book(day, 1)
    services.booking_transition(booking=booking, to=S.CANCELLED, actor=mentee, reason="Sick leave")
    again = book(day, 1)
    assert again.status == S.REQUESTED


def test_no_booking_after_the_deadline(champion, mentor, book):
    day = publish_day(champion, mentor, in_days=10, deadline_in_days=3)
    with (
        today_is(days_from_today(4)),
        pytest.raises(ValidationError, match="Bookings for this day closed on"),
    ):
        book(day)
    assert Booking.objects.count() == 0


def test_the_deadline_day_itself_still_books(champion, mentor, book):
    day = publish_day(champion, mentor, in_days=10, deadline_in_days=3)
    with today_is(days_from_today(3)):
        assert book(day).status == S.REQUESTED


def test_no_booking_of_a_past_day(day, book):
    with (
        today_is(days_from_today(31)),
        pytest.raises(ValidationError, match="is in the past"),
    ):
        book(day)


def test_only_a_candidate_site_books(day, other_programme, make_member):
    other_lead = make_member(other_programme, "lead")
    with pytest.raises(ValidationError, match="Only a candidate site books"):
        services.booking_request(
            training_day=day,
            candidate=other_programme,
            actor=other_lead,
            attendee_name="X",
            attendee_email="x@x.example",
        )


@pytest.mark.parametrize("role", ["viewer", None])
def test_a_viewer_or_an_outsider_cannot_book_for_the_site(day, candidate, make_member, other_programme, role):
    actor = make_member(candidate, role) if role else make_member(other_programme, "lead")
    with pytest.raises(PermissionDenied):
        services.booking_request(
            training_day=day, candidate=candidate, actor=actor, attendee_name="X", attendee_email="x@x.example"
        )
    assert Booking.objects.count() == 0


def test_a_paused_offer_takes_no_booking(day, book, champion):
    from recognition.models import Recognition

    Recognition.objects.for_programme(champion).update(valid_until=days_from_today(-1))
    with pytest.raises(ValidationError, match="offer is paused"):
        book(day)


# --- The state machine -------------------------------------------------------------------------


def test_the_mentor_confirms_a_request(day, book, mentor):
    booking = services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=mentor)
    assert booking.status == S.CONFIRMED
    assert booking.events.last().side == "mentor"


def test_the_mentee_cannot_confirm_their_own_request(day, book, mentee):
    with pytest.raises(PermissionDenied):
        services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=mentee)


def test_a_mentor_of_another_champion_cannot_act(day, book, other_programme, make_member):
    other_mentor = make_member(other_programme, "lead")
    with pytest.raises(PermissionDenied):
        services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=other_mentor)


def test_a_viewer_of_the_champion_cannot_act(day, book, champion, make_member):
    with pytest.raises(PermissionDenied):
        services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=make_member(champion, "viewer"))


def test_iof_staff_do_not_act_for_either_side(day, book, iof_staff):
    with pytest.raises(PermissionDenied):
        services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=iof_staff)


@pytest.mark.parametrize("who", ["mentor", "mentee"])
def test_either_side_cancels_a_confirmed_seat_with_a_reason(day, book, mentor, mentee, who):
    booking = services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=mentor)
    actor = mentor if who == "mentor" else mentee
    with pytest.raises(ValidationError, match="Give a reason"):
        services.booking_transition(booking=booking, to=S.CANCELLED, actor=actor, reason="  ")
    booking = services.booking_transition(booking=booking, to=S.CANCELLED, actor=actor, reason="Ward closed")
    event = booking.events.last()
    assert (event.from_status, event.to_status, event.side, event.actor, event.reason) == (
        S.CONFIRMED,
        S.CANCELLED,
        who,
        actor,
        "Ward closed",
    )


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.REQUESTED, S.ATTENDED),
        (S.REQUESTED, S.WAITING),
        (S.CONFIRMED, S.REQUESTED),
        (S.CONFIRMED, S.DECLINED),
        (S.DECLINED, S.CONFIRMED),
        (S.CANCELLED, S.CONFIRMED),
        (S.CANCELLED, S.REQUESTED),
        (S.ATTENDED, S.NO_SHOW),
    ],
)
def test_moves_outside_the_table_are_refused(day, book, mentor, start, to):
    booking = book(day)
    Booking.objects.filter(pk=booking.pk).update(status=start)
    booking.refresh_from_db()
    with pytest.raises(ValidationError, match="cannot become"):
        services.booking_transition(booking=booking, to=to, actor=mentor, reason="x")
    booking.refresh_from_db()
    assert booking.status == start


def test_nobody_but_the_registry_promotes_from_the_waiting_list(day, book, mentor):
    for n in range(1, 5):
        waiting = book(day, n)
    with pytest.raises(PermissionDenied):
        services.booking_transition(booking=waiting, to=S.REQUESTED, actor=mentor)


def test_attendance_is_marked_only_from_the_day(day, book, mentor):
    booking = services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=mentor)
    with pytest.raises(ValidationError, match="on or after the day"):
        services.booking_transition(booking=booking, to=S.ATTENDED, actor=mentor)
    with today_is(days_from_today(30)):
        assert services.booking_transition(booking=booking, to=S.ATTENDED, actor=mentor).status == S.ATTENDED


def test_a_confirmed_seat_cannot_be_cancelled_after_the_day(day, book, mentor, mentee):
    booking = services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=mentor)
    with (
        today_is(days_from_today(31)),
        pytest.raises(ValidationError, match="The day is over"),
    ):
        services.booking_transition(booking=booking, to=S.CANCELLED, actor=mentee, reason="late")


# --- The waiting list ------------------------------------------------------------------------


def test_a_freed_seat_goes_to_the_first_waiting_then_the_next(day, book, mentor, mentee):
    bookings = [book(day, n) for n in range(1, 6)]
    services.booking_transition(booking=bookings[0], to=S.DECLINED, actor=mentor, reason="Full team visit")
    assert statuses(day) == [S.DECLINED, S.REQUESTED, S.REQUESTED, S.REQUESTED, S.WAITING]
    promoted = bookings[3].events.last()
    assert (promoted.from_status, promoted.to_status, promoted.actor, promoted.side) == (
        S.WAITING,
        S.REQUESTED,
        None,
        "registry",
    )
    services.booking_transition(booking=bookings[1], to=S.CANCELLED, actor=mentee, reason="Cannot travel")
    assert statuses(day) == [S.DECLINED, S.CANCELLED, S.REQUESTED, S.REQUESTED, S.REQUESTED]


def test_more_seats_promote_the_waiting_in_order(day, book, mentor):
    for n in range(1, 7):
        book(day, n)
    services.training_day_update(
        day=day, actor=mentor, seats=5, agenda=day.agenda, address=day.address, booking_deadline=day.booking_deadline
    )
    assert statuses(day) == [S.REQUESTED] * 5 + [S.WAITING]


def test_seats_cannot_go_below_those_held(day, book, mentor):
    for n in range(1, 4):
        book(day, n)
    with pytest.raises(ValidationError, match="3 seats are requested or confirmed"):
        services.training_day_update(
            day=day,
            actor=mentor,
            seats=2,
            agenda=day.agenda,
            address=day.address,
            booking_deadline=day.booking_deadline,
        )
    day.refresh_from_db()
    assert day.seats == 3


def test_booking_events_are_append_only(day, book):
    event = book(day).events.get()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        BookingEvent.objects.filter(pk=event.pk).update(reason="rewritten")


# --- Training days ---------------------------------------------------------------------------


def test_a_day_needs_an_open_offer(programme, lead, recognise):
    from tests.mentorship.conftest import open_offer

    with pytest.raises(ValidationError, match="open offer"):
        publish_day(programme, lead)
    recognise(programme, "bronze")
    with pytest.raises(ValidationError, match="silver or gold"):
        open_offer(programme, lead)


@pytest.mark.parametrize(
    ("in_days", "deadline", "field"),
    [(0, -1, "date"), (10, 11, "booking_deadline"), (10, -1, "booking_deadline")],
)
def test_day_dates_are_checked(champion, mentor, in_days, deadline, field):
    with pytest.raises(ValidationError) as refused:
        publish_day(champion, mentor, in_days=in_days, deadline_in_days=deadline)
    assert field in refused.value.message_dict


def test_a_day_is_taught_in_one_of_the_offer_languages(champion, mentor):
    with pytest.raises(ValidationError, match="teaching languages: ru, en"):
        publish_day(champion, mentor, language="fr")


def test_a_coordinator_publishes_but_a_viewer_does_not(champion, make_member):
    assert publish_day(champion, make_member(champion, "coordinator")).seats == 3
    with pytest.raises(PermissionDenied):
        publish_day(champion, make_member(champion, "viewer"))


# --- Ratings ---------------------------------------------------------------------------------


def attended(day, book, mentor, n):
    booking = services.booking_transition(booking=book(day, n), to=S.CONFIRMED, actor=mentor)
    with today_is(days_from_today(30)):
        return services.booking_transition(booking=booking, to=S.ATTENDED, actor=mentor)


def test_the_rating_shows_from_three_ratings(day, book, mentor, mentee, champion):
    from mentorship.selectors import rating_summary

    for n, rating in ((1, 5), (2, 4)):
        services.booking_rate(booking=attended(day, book, mentor, n), actor=mentee, rating=rating)
    assert rating_summary(champion) is None
    services.booking_rate(booking=attended(day, book, mentor, 3), actor=mentee, rating=4, comment="Useful")
    assert rating_summary(champion) == {"mean": 4.3, "count": 3}


def test_only_an_attended_day_is_rated_once_by_the_mentee(day, book, mentor, mentee):
    booking = book(day, 1)
    with pytest.raises(ValidationError, match="attended"):
        services.booking_rate(booking=booking, actor=mentee, rating=5)
    booking = attended(day, book, mentor, 2)
    with pytest.raises(PermissionDenied):
        services.booking_rate(booking=booking, actor=mentor, rating=5)
    with pytest.raises(ValidationError, match="from 1 to 5"):
        services.booking_rate(booking=booking, actor=mentee, rating=6)
    services.booking_rate(booking=booking, actor=mentee, rating=5)
    with pytest.raises(ValidationError, match="already rated"):
        services.booking_rate(booking=booking, actor=mentee, rating=1)


def test_the_waiting_list_and_one_sites_share_are_bounded(day, book, settings):
    from mentorship.models import Booking

    settings.MENTORSHIP_WAITING_PER_DAY = 2
    for n in range(day.seats + 2):
        book(day, n)
    with pytest.raises(ValidationError, match="waiting list is full"):
        book(day, 99)
    assert Booking.objects.filter(training_day=day).count() == day.seats + 2


def test_a_registry_may_bound_the_places_of_one_candidate_site(day, book, settings):
    settings.MENTORSHIP_PLACES_PER_CANDIDATE = 2
    book(day, 1)
    book(day, 2)
    with pytest.raises(ValidationError, match="the most one candidate site may hold"):
        book(day, 3)
