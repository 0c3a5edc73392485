"""The API contract: upcoming days for anyone logged in; seat requests by a candidate site's member."""

import pytest

from accounts.services import api_token_create
from mentorship.models import Booking
from tests.conftest import today_is
from tests.mentorship.conftest import days_from_today, publish_day

DAYS = "/api/v1/mentorship/training-days/"


def bookings_url(day):
    return f"{DAYS}{day.pk}/bookings/"


def body(candidate, n=1):
    return {"candidate": candidate.slug, "attendee_name": f"Nurse {n}", "attendee_email": f"nurse{n}@kazan.example"}


def test_the_list_gives_upcoming_days_with_free_seats(day, book, login, lead, champion, mentor):
    book(day)
    past = publish_day(champion, mentor, in_days=5, deadline_in_days=1)
    with today_is(days_from_today(6)):
        listed = login(lead).get(DAYS).json()
    assert [d["id"] for d in listed] == [day.pk]
    assert past.pk not in [d["id"] for d in listed]
    (found,) = listed
    assert {k: found[k] for k in ("id", "champion", "date", "seats", "free_seats", "language", "booking_deadline")} == {
        "id": day.pk,
        "champion": champion.slug,
        "date": day.date.isoformat(),
        "seats": 3,
        "free_seats": 2,
        "language": "ru",
        "booking_deadline": day.booking_deadline.isoformat(),
    }


def test_a_token_reads_the_list(day, mentee, client):
    _token, secret = api_token_create(user=mentee, name="t")
    response = client.get(DAYS, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()[0]["id"] == day.pk


def test_anonymous_gets_nothing(day, client):
    assert client.get(DAYS).status_code in (401, 403)
    assert client.post(bookings_url(day), {}, content_type="application/json").status_code in (401, 403)


def test_requested_while_a_seat_is_free_then_waiting(day, candidate, mentee, login):
    statuses = []
    for n in range(1, 5):
        response = login(mentee).post(bookings_url(day), body(candidate, n), content_type="application/json")
        assert response.status_code == 201
        statuses.append(response.json()["status"])
        assert response.json()["id"] == Booking.objects.latest("id").pk
    assert statuses == ["requested", "requested", "requested", "waiting"]


def test_the_same_attendee_twice_is_a_clear_400(day, candidate, mentee, login):
    login(mentee).post(bookings_url(day), body(candidate), content_type="application/json")
    response = login(mentee).post(bookings_url(day), body(candidate), content_type="application/json")
    assert response.status_code == 400
    assert "nurse1@kazan.example already has a seat or a place on the waiting list" in response.json()["detail"]
    assert Booking.objects.count() == 1


def test_a_passed_deadline_is_a_clear_400(day, candidate, mentee, login):
    with today_is(days_from_today(24)):
        response = login(mentee).post(bookings_url(day), body(candidate), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == f"Bookings for this day closed on {day.booking_deadline.isoformat()}."


def test_a_past_day_is_a_clear_400(day, candidate, mentee, login):
    with today_is(days_from_today(31)):
        response = login(mentee).post(bookings_url(day), body(candidate), content_type="application/json")
    assert response.status_code == 400
    assert "is in the past" in response.json()["detail"]


def test_a_non_member_gets_404_and_nothing_is_written(day, candidate, lead, login):
    response = login(lead).post(bookings_url(day), body(candidate), content_type="application/json")
    assert response.status_code == 404
    assert Booking.objects.count() == 0


def test_a_viewer_of_the_candidate_site_gets_403(day, candidate, make_member, login):
    viewer = make_member(candidate, "viewer")
    response = login(viewer).post(bookings_url(day), body(candidate), content_type="application/json")
    assert response.status_code == 403
    assert Booking.objects.count() == 0


def test_a_member_of_a_non_candidate_programme_gets_a_clear_400(day, champion, mentor, login):
    response = login(mentor).post(bookings_url(day), body(champion), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Only a candidate site books seats on training days."


def test_a_missing_day_is_404(candidate, mentee, login, db):
    response = login(mentee).post(f"{DAYS}999999/bookings/", body(candidate), content_type="application/json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"attendee_name": "X", "attendee_email": "x@x.example"}, "candidate"),
        ({"candidate": "kazan-candidate"}, "attendee_name"),
    ],
)
def test_a_malformed_body_names_the_field(day, candidate, mentee, login, payload, field):
    response = login(mentee).post(bookings_url(day), payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()


def test_the_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/mentorship/training-days/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/mentorship/training-days/{day_id}/bookings/"]
