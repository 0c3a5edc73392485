"""The pages: each side sees and does what it may, and nothing of another programme's bookings."""

import re

import pytest

from mentorship.models import Booking, BookingStatus, TrainingDay
from tests.conftest import today_is
from tests.mentorship.conftest import publish_day

S = BookingStatus


def mentorship_url(programme):
    return f"/p/{programme.slug}/mentorship/"


def move_url(programme, booking):
    return f"/p/{programme.slug}/mentorship/bookings/{booking.pk}/move/"


def test_the_mentor_sees_the_request_and_confirms_it(day, book, champion, mentor, login):
    booking = book(day)
    page = login(mentor).get(mentorship_url(champion)).content.decode()
    assert "Requests to answer" in page and "Attendee 1" in page
    response = login(mentor).post(move_url(champion, booking), {"to": S.CONFIRMED})
    assert response.status_code == 302
    assert response["Location"] == f"/p/{champion.slug}/mentorship/days/{day.pk}/"
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED


def test_the_mentee_follows_the_booking(day, book, candidate, mentee, mentor, login):
    from mentorship import services

    services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=mentor)
    page = login(mentee).get(mentorship_url(candidate)).content.decode()
    assert "Your bookings" in page and "Confirmed" in page


def test_the_mentee_cannot_confirm_through_their_own_page(day, book, candidate, mentee, login):
    booking = book(day)
    response = login(mentee).post(move_url(candidate, booking), {"to": S.CONFIRMED}, follow=True)
    assert "You may not make this booking confirmed." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED


def test_a_cancel_without_reason_is_refused_with_a_message(day, book, candidate, mentee, login):
    booking = book(day)
    response = login(mentee).post(move_url(candidate, booking), {"to": S.CANCELLED, "reason": ""}, follow=True)
    assert "Give a reason: the other side is told." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED


def test_the_mentee_cannot_reach_the_booking_through_the_champions_url(day, book, champion, mentee, login):
    booking = book(day)
    assert login(mentee).post(move_url(champion, booking), {"to": S.CONFIRMED}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED


def test_another_candidates_booking_is_404_on_this_candidates_url(day, book, make_member, login):
    from tests.factories import ProgrammeFactory

    booking = book(day)
    other_candidate = ProgrammeFactory(status="candidate")
    other_lead = make_member(other_candidate, "lead")
    assert (
        login(other_lead).post(move_url(other_candidate, booking), {"to": S.CANCELLED, "reason": "x"}).status_code
        == 404
    )
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED


def test_the_lead_opens_the_offer_from_the_page(programme, lead, recognise, login):
    recognise(programme, "silver")
    response = login(lead).post(
        mentorship_url(programme),
        {
            "save_offer": "1",
            "is_open": "on",
            "languages": "ru;en",
            "topics": ["case_finding", "setup"],
            "contact_name": "Dr Irina Sokolova",
            "contact_email": "irina@hospital.example",
            "mentor_text": "Welcome.",
        },
    )
    assert response.status_code == 302
    assert "Open: your programme is listed as a champion" in login(lead).get(mentorship_url(programme)).content.decode()


def test_an_unrecognised_lead_is_told_why_the_offer_is_refused(programme, lead, login):
    response = login(lead).post(
        mentorship_url(programme),
        {"save_offer": "1", "is_open": "on", "languages": "ru", "contact_name": "I", "contact_email": "i@x.example"},
    )
    assert response.status_code == 400
    assert "Only a programme with a valid silver or gold recognition can offer mentorship" in response.content.decode()


def test_the_mentor_publishes_a_day_from_the_page(champion, mentor, login):
    from tests.mentorship.conftest import days_from_today

    response = login(mentor).post(
        f"/p/{champion.slug}/mentorship/days/new/",
        {
            "date": days_from_today(40).isoformat(),
            "seats": "0",
            "language": "ru",
            "booking_deadline": days_from_today(33).isoformat(),
            "address": "Ward 3",
            "agenda": "Morning round",
        },
    )
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert TrainingDay.objects.for_programme(champion).count() == 0


def test_the_mentee_requests_a_seat_from_the_day_page(day, candidate, mentee, login):
    url = f"/mentorship/training-days/{day.pk}/"
    page = login(mentee).get(url).content.decode()
    assert "Request a seat" in page
    response = login(mentee).post(
        url, {"candidate": candidate.slug, "attendee_name": "Gulnara Safina", "attendee_email": "g@kazan.example"}
    )
    assert response.status_code == 302
    assert Booking.objects.get().attendee_name == "Gulnara Safina"


def test_nobody_books_for_a_candidate_site_they_do_not_belong_to(day, candidate, lead, login):
    response = login(lead).post(
        f"/mentorship/training-days/{day.pk}/",
        {"candidate": candidate.slug, "attendee_name": "X", "attendee_email": "x@x.example"},
    )
    assert response.status_code == 400
    assert Booking.objects.count() == 0


def test_the_day_page_shows_no_attendee_to_others(day, book, login, make_member):
    from tests.factories import ProgrammeFactory

    book(day)
    stranger = make_member(ProgrammeFactory(), "lead")
    page = login(stranger).get(f"/mentorship/training-days/{day.pk}/").content.decode()
    assert "Attendee 1" not in page and "attendee1@kazan.example" not in page
    assert "2 free" in page


def test_the_list_filters_by_language_country_month_and_distance(champion, mentor, candidate, mentee, login):
    champion.latitude, champion.longitude = "57.626100", "39.884500"
    champion.save()
    near = publish_day(champion, mentor, in_days=30, language="ru")
    english = publish_day(champion, mentor, in_days=70, language="en")

    def listed(query):
        page = login(mentee).get(f"/mentorship/training-days/?{query}").content.decode()
        return [d.pk for d in (near, english) if f"/mentorship/training-days/{d.pk}/" in page]

    assert listed("") == [near.pk, english.pk]
    assert listed("language=en") == [english.pk]
    assert listed("country=FR") == []
    assert listed(f"month={english.date:%Y-%m}") == [english.pk]  # 40 days apart: never the same month
    assert listed(f"site={candidate.slug}&max_km=700") == [near.pk, english.pk]  # Kazan–Yaroslavl ≈ 598 km
    assert listed(f"site={candidate.slug}&max_km=500") == []


def test_a_candidate_sees_its_ranking(candidate, mentee, champion, login):
    page = login(mentee).get(f"/p/{candidate.slug}/mentorship/matches/").content.decode()
    assert champion.name in page and "Strength where weak" in page


def test_the_mentee_rates_an_attended_day(day, book, candidate, mentee, mentor, login):

    from mentorship import services
    from tests.mentorship.conftest import days_from_today

    booking = services.booking_transition(booking=book(day), to=S.CONFIRMED, actor=mentor)
    with today_is(days_from_today(30)):
        services.booking_transition(booking=booking, to=S.ATTENDED, actor=mentor)
    response = login(mentee).post(
        f"/p/{candidate.slug}/mentorship/bookings/{booking.pk}/rate/", {"rating": "4", "comment": "Useful day"}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.rating, booking.rating_comment) == (4, "Useful day")


@pytest.mark.parametrize("url", ["/mentorship/training-days/", "/mentorship/training-days/1/"])
def test_the_day_pages_need_a_login(url, client, db):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_staff_matching_page_proposes_and_confirms(candidate, mentee, champion, mentor, iof_staff, login):
    from mentorship.models import SeatProposal

    day = publish_day(champion, mentor)
    page = login(iof_staff).get("/mentorship/staff/matching/").content.decode()
    assert candidate.name in page and "selected" in page
    response = login(iof_staff).post("/mentorship/staff/matching/", {f"day-{candidate.pk}": str(day.pk)})
    assert response.status_code == 302
    proposal = SeatProposal.objects.get()
    assert (proposal.candidate, proposal.training_day, proposal.status) == (candidate, day, "open")
    assert "Seats IOF staff propose to you" in login(mentee).get(mentorship_url(candidate)).content.decode()


def test_a_proposal_that_no_longer_fits_is_refused_whole(candidate, champion, mentor, iof_staff, book, mentee):
    from django.core.exceptions import ValidationError

    from mentorship import services
    from mentorship.models import SeatProposal
    from tests.factories import ProgrammeFactory

    day = publish_day(champion, mentor, seats=1)
    second = ProgrammeFactory(status="candidate", languages=["ru"])
    with pytest.raises(ValidationError, match="no free seat left"):
        services.seat_proposals_confirm(
            actor=iof_staff, pairs=[(candidate.pk, day.pk, 50.0), (second.pk, day.pk, 40.0)]
        )
    assert SeatProposal.objects.count() == 0
    book(day)
    with pytest.raises(ValidationError, match="no free seat left"):
        services.seat_proposals_confirm(actor=iof_staff, pairs=[(second.pk, day.pk, 40.0)])


def test_booking_the_proposed_day_closes_the_proposal(candidate, champion, mentor, iof_staff, book, mentee):
    from mentorship import services

    day = publish_day(champion, mentor)
    (proposal,) = services.seat_proposals_confirm(actor=iof_staff, pairs=[(candidate.pk, day.pk, 61.5)])
    book(day)
    proposal.refresh_from_db()
    assert proposal.status == "booked"


def test_a_past_day_counts_its_attended_seats_and_is_no_longer_offered_for_change(day, book, champion, mentor, login):
    """3 seats; two attended, one absent: none free, and no "Change the day" once it is over."""
    from mentorship import services
    from tests.mentorship.conftest import days_from_today

    bookings = [services.booking_transition(booking=book(day, n), to=S.CONFIRMED, actor=mentor) for n in range(3)]
    with today_is(days_from_today(31)):
        for booking, outcome in zip(bookings, (S.ATTENDED, S.ATTENDED, S.NO_SHOW), strict=True):
            services.booking_transition(booking=booking, to=outcome, actor=mentor)
        page = login(mentor).get(f"/p/{champion.slug}/mentorship/days/{day.pk}/").content.decode()
    assert "3 seats, 0 free, 0 waiting" in page
    assert "Change the day" not in page and "This training day is over" in page
    assert "09:00 Welcome\n10:00 Case-finding round" in page  # its lines kept (shown pre-line)


def test_a_champion_without_a_shared_language_is_listed_but_never_ranked(candidate, mentee, champion, recognise, login):
    """Places are for the champions the site can learn from; one excluded ("no shared teaching
    language") comes after them, without a place."""
    from tests.factories import MembershipFactory, ProgrammeFactory, UserFactory
    from tests.mentorship.conftest import open_offer

    lyon = ProgrammeFactory(slug="lyon-champion", name="FLS Lyon", country="FR", languages=["fr"])
    lyon_lead = UserFactory()
    MembershipFactory(programme=lyon, user=lyon_lead, role="lead")
    recognise(lyon, "gold")
    open_offer(lyon, lyon_lead, languages=("fr",))
    page = login(mentee).get(f"/p/{candidate.slug}/mentorship/matches/").content.decode()
    rows = re.findall(r'<tr><td>(.*?)</td><th scope="row"><a [^>]*>([^<]+)</a>', page)
    assert rows[0] == ("1", champion.name)
    assert rows[1][1] == "FLS Lyon" and "not ranked" in rows[1][0] and "2" not in rows[1][0]
