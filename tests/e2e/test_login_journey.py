import pytest
from playwright.sync_api import expect

from tests.e2e.test_recognition_journey import unused_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_lead_logs_in_with_the_keyboard_and_reaches_the_programme(live_server, page, programme, lead, artifacts_dir):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Email").fill(lead.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    # A lead's role requires two-factor authentication: the code of the authenticator app next.
    page.get_by_label("Code").fill(unused_code(lead))
    page.get_by_label("Code").press("Enter")
    page.get_by_role("link", name=programme.name).click()
    assert page.get_by_role("heading", level=1).inner_text() == programme.name
    expect(page.get_by_role("link", name="Team")).to_be_visible()
    assert page.get_by_label("Programme").input_value() == programme.slug
    page.screenshot(path=str(artifacts_dir / "login-programme-home.png"), full_page=True)
