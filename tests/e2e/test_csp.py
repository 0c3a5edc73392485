"""The pages work under the Content-Security-Policy: no violation in the browser, the map draws,
htmx swaps, and the API docs render."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_recognition_journey import log_in

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture
def watched(page):
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    return page, console


def violations(page, console):
    found = page.evaluate("window.__csp || []")
    return found + [text for text in console if "Content Security Policy" in text]


def test_the_policy_is_sent(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert "frame-ancestors 'none'" in policy


def test_public_pages_and_the_map_raise_no_violation(live_server, watched, world, settings):
    page, console = watched
    settings.MAP_TILE_URL = ""
    for path in (
        "/",
        "/map/",
        "/programmes/milano-niguarda/",
        "/resources/",
        "/mentorship/champions/",
        "/accounts/login/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert violations(page, console) == [], path
    page.goto(live_server.url + "/map/")
    page.wait_for_selector('#map[data-markers="2"]')
    assert violations(page, console) == []


def test_member_pages_htmx_and_the_api_docs_raise_no_violation(live_server, watched, programme, lead, episode):
    page, console = watched
    log_in(page, live_server, lead)
    for path in (
        f"/p/{programme.slug}/",
        f"/p/{programme.slug}/episodes/",
        f"/p/{programme.slug}/episodes/new/",
        f"/p/{programme.slug}/worklist/",
        f"/p/{programme.slug}/kpis/",
        f"/p/{programme.slug}/benefits/",
        f"/p/{programme.slug}/public-profile/",
        "/api/docs/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert violations(page, console) == [], path
    page.goto(live_server.url + f"/p/{programme.slug}/episodes/")
    page.get_by_label("Patient reference starts with").fill("H0")  # htmx swaps the results as one types
    page.wait_for_load_state("networkidle")
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert violations(page, console) == []


def test_the_admin_raises_no_violation(live_server, watched, iof_staff, programme):
    page, console = watched
    log_in(page, live_server, iof_staff)
    for path in ("/admin/", "/admin/programmes/programme/", f"/admin/programmes/programme/{programme.pk}/change/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert violations(page, console) == [], path


def test_a_new_lead_sets_up_the_authenticator_app_by_keyboard_without_violation(
    live_server, watched, programme, make_member
):
    """A lead's first login ends on the set-up page: the QR code and the key to type in, the code,
    then the recovery codes; only then the programme."""
    from allauth.mfa.models import Authenticator

    from tests.factories import PASSWORD, MembershipFactory, UserFactory, totp_code

    page, console = watched
    lead = MembershipFactory(programme=programme, role="lead", user=UserFactory(mfa=False), mfa=False).user
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(lead.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    expect(page.get_by_text("needs two-factor authentication")).to_be_visible()
    assert page.locator("img[alt]").first.get_attribute("src").startswith("data:image/svg+xml")
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_label("Authenticator code").press("Enter")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    assert Authenticator.objects.filter(user=lead, type=Authenticator.Type.TOTP).exists()
    page.goto(f"{live_server.url}/p/{programme.slug}/")
    assert page.get_by_role("heading", level=1).inner_text() == programme.name
    assert violations(page, console) == []
