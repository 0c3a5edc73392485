from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_coordinator_adds_an_episode_corrects_a_mistake_and_finds_it_in_the_worklist(
    live_server, page, programme, coordinator, artifacts_dir
):
    today = timezone.localdate()
    fracture = today - timedelta(days=105)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(coordinator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(live_server.url + f"/p/{programme.slug}/")
    page.get_by_role("link", name="Patients", exact=True).click()  # the programme's menu: its group
    page.get_by_role("link", name="New episode").first.click()

    page.get_by_label("Patient reference (hospital number)").fill("E2E-0042")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Fracture date").fill(fracture.isoformat())
    page.get_by_label("Fracture site").select_option("wrist")
    too_young = fracture.replace(year=fracture.year - 45)
    page.get_by_label("Date of birth").fill(too_young.isoformat())
    page.get_by_label("Date of birth").press("Tab")
    error = page.locator("#err-birth_date")
    error.get_by_text("the registry is for patients aged 50 or over").wait_for()
    page.screenshot(path=str(artifacts_dir / "episode-live-validation.png"), full_page=True)

    page.get_by_label("Date of birth").fill(fracture.replace(year=fracture.year - 72).isoformat())
    page.get_by_label("Date of birth").press("Tab")
    error.get_by_text("aged 50 or over").wait_for(state="detached")
    page.get_by_label("FLS assessment", exact=True).select_option("yes")
    page.get_by_label("FLS assessment date").fill((fracture + timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Save episode").click()
    page.get_by_text("Episode saved for patient E2E-0042").wait_for()

    # The episode page: the timeline's labels never print on top of each other.
    chart = page.locator("svg.timeline-chart")
    chart.scroll_into_view_if_needed()
    boxes = [label.bounding_box() for label in chart.locator("text").all()]
    assert len(boxes) == 4  # day 84, day 112, day 364 and "fracture"
    for index, first in enumerate(boxes):
        for second in boxes[index + 1 :]:
            apart = (
                first["x"] + first["width"] <= second["x"]
                or second["x"] + second["width"] <= first["x"]
                or first["y"] + first["height"] <= second["y"]
                or second["y"] + second["height"] <= first["y"]
            )
            assert apart, (first, second)
    states = page.locator("table.kpi-judgements .state").all_inner_texts()
    assert "notapplicable" not in states and set(states) <= {
        "met",
        "not met",
        "not yet",
        "pending",
        "not eligible",
        "counted",
    }
    page.screenshot(path=str(artifacts_dir / "episode-timeline.png"), full_page=True)

    page.get_by_role("link", name="Worklist").click()
    row = page.get_by_role("row").filter(has_text="E2E-0042")
    assert row.count() == 1
    assert "First follow-up" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "episode-in-worklist.png"), full_page=True)
