"""Small things a person meets on every visit: the icon, which button is the main one."""

import re
from datetime import date

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from tests.factories import PASSWORD


def test_the_icon_browsers_ask_for_is_found(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()


def test_cancel_on_the_two_factor_page_is_a_link_beside_the_main_button(coordinator):
    TOTP.activate(coordinator, generate_totp_secret())
    client = Client()
    client.post("/accounts/login/", {"login": coordinator.email, "password": PASSWORD})
    page = client.get("/accounts/2fa/authenticate/").content.decode()
    cancel = re.search(r"<button([^>]*)>\s*Cancel\s*</button>", page)
    main = re.search(r"<button([^>]*)>\s*Sign In\s*</button>", page)
    assert cancel and 'class="link"' in cancel.group(1)
    assert main and "class=" not in main.group(1)  # the filled, main button


def test_retire_is_not_styled_as_the_main_action(iof_staff, login, db):
    from network.models import Resource

    Resource.objects.create(
        title="Guide",
        kind="guideline",
        url="https://example.org/guide",
        languages=["en"],
        status="published",
        last_reviewed=date(2026, 1, 1),
    )
    page = login(iof_staff).get("/network/staff/resources/").content.decode()
    assert '<button type="submit" class="secondary">Retire</button>' in page
