"""A coordinator takes a candidate from the case-finding inbox to a saved episode, and the inbox
works on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casefinding.services import cases_find
from tests.casefinding.samples import Case, hl7_feed
from tests.e2e.test_recognition_journey import log_in

pytestmark = pytest.mark.browser


def test_a_coordinator_accepts_a_candidate_into_a_saved_episode(
    live_server, page, programme, coordinator, artifacts_dir
):
    today = timezone.localdate()
    event = today - timedelta(days=6)
    cases_find(
        programme=programme,
        content=hl7_feed(
            [
                Case("ED1", "MRN-77", "1944-06-02", event.isoformat(), ["S72.01", "W19"]),
                Case("RAD2", "MRN-78", "1950-02-02", (event + timedelta(days=1)).isoformat(), [],
                     "CT chest: no pneumothorax. Compression fracture of T11, 40% height loss."),
                Case("ED3", "MRN-79", "1990-02-02", event.isoformat(), ["S52.5"]),
            ]
        ),
    )  # fmt: skip
    log_in(page, live_server, coordinator)
    page.goto(f"{live_server.url}/p/{programme.slug}/")
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_role("navigation", name="Patients").get_by_role("link", name="Case finding").click()
    expect(page.get_by_role("heading", name="2 open candidates")).to_be_visible()
    expect(page.locator("mark")).to_have_text("Compression fracture")

    # At 390 px (a phone) the inbox does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts_dir / "case-finding-inbox-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Accept MRN-77").click()
    expect(page.get_by_label("Patient reference (hospital number)")).to_have_value("MRN-77")
    expect(page.get_by_label("Fracture date")).to_have_value(event.isoformat())
    expect(page.get_by_label("Fracture site")).to_have_value("hip")
    expect(page.get_by_label("Date identified by the FLS")).to_have_value(today.isoformat())
    page.get_by_label("How the fracture happened").select_option("low_trauma_fall")
    page.get_by_role("button", name="Save episode").click()
    page.get_by_text("Candidate accepted: episode saved for patient MRN-77.").wait_for()
    assert "/episodes/" in page.url

    page.goto(f"{live_server.url}/p/{programme.slug}/case-finding/")
    expect(page.get_by_role("heading", name="1 open candidate")).to_be_visible()
    page.get_by_text("Dismiss MRN-78").click()
    page.get_by_label("Reason").select_option("known_elsewhere")
    page.get_by_role("button", name="Dismiss candidate").click()
    page.get_by_text("Candidate MRN-78 dismissed.").wait_for()
    expect(page.get_by_text("No open candidate.")).to_be_visible()
