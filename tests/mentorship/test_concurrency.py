"""Fifty people ask for a seat on a 3-seat day at the same moment, each over its own HTTP request
and database connection: the day's row lock lets exactly three through, in request order."""

import json
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.services import api_token_create
from mentorship.models import Booking, BookingStatus

REQUESTS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_requests_never_overbook_a_three_seat_day(live_server, day, candidate, mentee):
    _token, secret = api_token_create(user=mentee, name="concurrency test")
    url = f"{live_server.url}/api/v1/mentorship/training-days/{day.pk}/bookings/"
    start = threading.Barrier(REQUESTS)

    def ask(n: int):
        body = json.dumps(
            {"candidate": candidate.slug, "attendee_name": f"Nurse {n}", "attendee_email": f"nurse{n}@kazan.example"}
        ).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        )
        start.wait(timeout=30)
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(ask, range(REQUESTS)))

    assert [status for status, _body in answers] == [201] * REQUESTS
    answered = sorted(body["status"] for _status, body in answers)
    assert answered == sorted([BookingStatus.REQUESTED] * 3 + [BookingStatus.WAITING] * (REQUESTS - 3))
    stored = list(Booking.objects.filter(training_day=day).order_by("id"))
    assert [b.status for b in stored] == [BookingStatus.REQUESTED] * 3 + [BookingStatus.WAITING] * (REQUESTS - 3)
    # Request order: each insert happened under the lock, so the ids and the times agree.
    assert [b.created_at for b in stored] == sorted(b.created_at for b in stored)
    assert {body["id"]: body["status"] for _s, body in answers} == {b.pk: b.status for b in stored}
