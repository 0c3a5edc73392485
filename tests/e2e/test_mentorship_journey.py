"""Browser journey of mentorship: a mentee finds a day and books; the mentor confirms; the mentee
sees the seat confirmed."""

import pytest
from playwright.sync_api import expect

from mentorship.models import Booking, BookingStatus
from tests.e2e.test_recognition_journey import log_in

pytestmark = pytest.mark.browser


def log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_a_mentee_books_the_mentor_confirms_the_mentee_sees_it(
    live_server, page, day, candidate, mentee, champion, mentor, artifacts_dir
):
    log_in(page, live_server, mentee)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Find a training day").click()
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name="FLS Yaroslavl")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "mentorship-find-a-day.png"), full_page=True)
    page.get_by_role("link", name=day.date.isoformat()).click()
    page.get_by_label("Attendee's name").fill("Gulnara Safina")
    page.get_by_label("Attendee's e-mail").fill("gulnara@kazan.example")
    page.get_by_role("button", name="Request a seat").click()
    expect(page.get_by_text("Seat requested: the mentor will confirm or decline it.")).to_be_visible()
    assert page.locator(".booking-status").first.inner_text().startswith("Requested")
    log_out(page)

    log_in(page, live_server, mentor)
    page.goto(f"{live_server.url}/p/{champion.slug}/mentorship/")
    requests = page.get_by_role("region", name="Requests to answer")
    expect(requests.get_by_role("cell", name="Gulnara Safina <gulnara@kazan.example>")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "mentorship-mentor-requests.png"), full_page=True)
    requests.get_by_role("button", name="Confirm — Gulnara Safina").click()
    expect(page.get_by_text("The booking of Gulnara Safina is now confirmed.")).to_be_visible()
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    log_out(page)

    log_in(page, live_server, mentee)
    page.goto(f"{live_server.url}/p/{candidate.slug}/mentorship/")
    status = page.locator(".booking-status").first
    assert status.inner_text().startswith("Confirmed")
    page.screenshot(path=str(artifacts_dir / "mentorship-mentee-confirmed.png"), full_page=True)


def test_cohort_matching_shows_the_score_of_the_day_chosen(
    live_server, page, candidate, mentee, champion, mentor, iof_staff
):
    """Picking another day for a candidate shows that day's score (and the total follows)."""
    from mentorship.models import CandidateProfile
    from tests.mentorship.conftest import publish_day

    # Interpretation accepted: the English day is offered too, for fewer points than the Russian one.
    CandidateProfile.objects.create(
        programme=candidate, expected_yearly_fractures=300, accepts_interpretation=True, contact_email="c@kazan.example"
    )
    publish_day(champion, mentor, in_days=30, language="ru")
    publish_day(champion, mentor, in_days=60, language="en")
    log_in(page, live_server, iof_staff)
    page.goto(f"{live_server.url}/mentorship/staff/matching/")
    select = page.locator(f"#day-{candidate.pk}")
    cell = page.locator(f"td[data-score-for='day-{candidate.pk}']")
    scores = {
        option.get_attribute("value"): option.get_attribute("data-score")
        for option in select.locator("option").all()
        if option.get_attribute("value")
    }
    assert len(set(scores.values())) == 2, scores  # the two days score differently
    other = next(value for value in scores if value != select.input_value())
    select.select_option(other)
    expect(cell).to_have_text(f"{float(scores[other]):.2f}")
    expect(page.locator("#chosen-total")).to_have_text(f"{float(scores[other]):.2f}")
    select.select_option("")
    expect(cell).to_have_text("—")
