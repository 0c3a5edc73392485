"""The app's shell: on a computer the programme's groups and the network's pages are in sight; on a
phone they fold behind one Menu button, opened by keyboard; the open group is marked."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_recognition_journey import log_in

pytestmark = pytest.mark.browser


def test_the_menu_is_in_sight_on_a_computer_and_folds_on_a_phone(live_server, page, programme, lead):
    log_in(page, live_server, lead)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/p/{programme.slug}/worklist/")
    menu_button = page.get_by_role("button", name="Menu")
    expect(menu_button).to_be_hidden()
    patients = page.get_by_role("navigation", name=programme.name).get_by_role("link", name="Patients")
    expect(patients).to_be_visible()
    expect(patients).to_have_attribute("aria-current", "true")  # the open group
    expect(page.get_by_role("navigation", name="Patients").get_by_role("link", name="Worklist")).to_have_attribute(
        "aria-current", "page"
    )
    # The lead's menu: six groups on one line, not twenty links on two.
    groups = page.locator(".nav-programme > li")
    tops = {round(box["y"]) for box in (item.bounding_box() for item in groups.all())}
    assert groups.count() == 6 and len(tops) == 1

    page.set_viewport_size({"width": 390, "height": 844})
    expect(menu_button).to_be_visible()
    expect(patients).to_be_hidden()
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    menu_button.focus()
    page.keyboard.press("Enter")
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(patients).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
