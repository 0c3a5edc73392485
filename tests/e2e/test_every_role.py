"""Every role, on the demo data, in English, Russian and Chinese: each page a person meets (their main
pages, the account and two-factor pages, the admin, the error pages) is in that language, passes
axe-core with no serious or critical violation, and the key ones never scroll sideways at
ward-computer and tablet sizes; then each person does what they came for (and meets what they may
not do) by the words of the page in that language, the coordinator by keyboard alone.

Colour contrast (three quarters of axe-core's time) and the keyboard's focus and order are checked
in the first language only: they come from the same CSS and templates in every language, so the
English walk fails on any such defect of any page; the other walks check every other rule, and
that no English (two or more English words in a text) and no raw code is left on a translated page:
what people wrote (answers, agendas, public texts, marked ``user-text``) and text marked with its
own ``lang`` are not judged.

Each language walks on its own load of the demo: the walks run side by side on the
pytest-xdist workers, where one walk through every language would be the suite's longest test by
far (214 s of a 336 s run for two languages, measured). When ``FLS_SCREENSHOTS`` names a folder (``make
screenshots`` sends it docs/screenshots/), the walk also photographs every main page there."""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("en", "ru", "zh-hant")
SCREENSHOT_LANGUAGES = ("en", "ru")  # docs/screenshots/
# The pages where a person works at a ward computer or on a tablet: nothing may scroll sideways.
NARROW_SIZES = ({"width": 1024, "height": 768}, {"width": 768, "height": 1024})
# A phone: no page of any person scrolls sideways at this size (tables scroll inside their own box).
PHONE = {"width": 390, "height": 844}
# The pages photographed at a phone's width too.
PHONE_SHOTS = {("coordinator", "worklist"), ("kazan.lead", "training-days")}


def demo_pages() -> dict[str, list[tuple[str, str]]]:
    """(name, path) of the main pages of each demo person; ids come from the demo data."""
    from mentorship.models import Booking, TrainingDay
    from network.models import Resource
    from patients.models import Episode, ImportJob
    from programmes.models import Programme
    from programmes.rls import programme_scope
    from recognition.models import Application, Recognition, ReviewAssignment

    yar = Programme.objects.get(slug="yaroslavl-rech")
    with programme_scope(yar.pk):
        episode = Episode.objects.for_programme(yar).order_by("pk").first()
        import_job = ImportJob.objects.for_programme(yar).first()
    application = Application.objects.all_programmes().filter(programme=yar).order_by("-pk").first()
    lyon_application = Application.objects.all_programmes().filter(programme__slug="lyon-sud").order_by("-pk").first()
    review = ReviewAssignment.objects.filter(
        reviewer__email="reviewer@demo.fls", submitted_at__isnull=True, application__state="under_review"
    ).first()
    day = TrainingDay.objects.filter(programme=yar).order_by("date").first()
    kazan_booking = Booking.objects.filter(candidate__slug="kazan-candidate").first()
    certificate = Recognition.objects.all_programmes().filter(programme__slug="milano-niguarda").first()
    resource = Resource.objects.filter(status="published").order_by("pk").first()
    p = "/p/yaroslavl-rech"
    return {
        "visitor": [
            ("home", "/"),
            ("map", "/map/"),
            ("profile", "/programmes/milano-niguarda/"),
            ("resources", "/resources/"),
            ("champions", "/mentorship/champions/"),
            ("training-days", "/mentorship/training-days/"),
            ("join", "/mentorship/join/"),
            ("catalogue", "/recognition/catalogue/"),
            ("champion", "/mentorship/champions/yaroslavl-rech/"),
            ("resource", f"/resources/{resource.pk}/"),
            ("verify", f"/verify/{certificate.verification_code}/"),
            ("login", "/accounts/login/"),
            ("password-reset", "/accounts/password/reset/"),
        ],
        "coordinator@demo.fls": [
            ("overview", f"{p}/"),
            ("episodes", f"{p}/episodes/"),
            ("episode-form", f"{p}/episodes/new/"),
            ("episode", f"{p}/episodes/{episode.pk}/"),
            ("episode-edit", f"{p}/episodes/{episode.pk}/edit/"),
            ("patient", f"{p}/patients/{episode.patient_id}/"),
            ("patient-edit", f"{p}/patients/{episode.patient_id}/edit/"),
            ("worklist", f"{p}/worklist/"),
            ("dashboard", f"{p}/kpis/"),
            ("drilldown", f"{p}/kpis/KPI3/"),
            ("import", f"{p}/import/"),
            ("import-job", f"{p}/import/jobs/{import_job.pk}/"),
            ("account", "/accounts/profile/"),
            ("two-factor", "/accounts/2fa/"),
            ("two-factor-set-up", "/accounts/2fa/totp/activate/"),
            ("password", "/accounts/password/change/"),
            ("e-mail", "/accounts/email/"),
        ],
        "lead@demo.fls": [
            ("team", f"{p}/team/"),
            ("episode-delete", f"{p}/episodes/{episode.pk}/delete/"),
            ("settings", f"{p}/settings/"),
            ("recognition", f"{p}/recognition/"),
            ("application", f"{p}/recognition/{application.pk}/"),
            ("self-assessment", f"{p}/recognition/{application.pk}/self-assessment/"),
            ("mentor", f"{p}/mentorship/"),
            ("training-day", f"{p}/mentorship/days/{day.pk}/"),
            ("publish-day", f"{p}/mentorship/days/new/"),
            ("propose-resource", f"{p}/resources/propose/"),
            ("benefits", f"{p}/benefits/"),
            ("public-profile", f"{p}/public-profile/"),
        ],
        "viewer@demo.fls": [("episodes", f"{p}/episodes/"), ("dashboard", f"{p}/kpis/")],
        "reviewer@demo.fls": [("reviews", "/recognition/reviews/"), ("scoring", f"/recognition/reviews/{review.pk}/")],
        "staff@demo.fls": [
            ("applications", "/recognition/staff/"),
            ("application", f"/recognition/staff/{lyon_application.pk}/"),
            ("join-requests", "/mentorship/staff/requests/"),
            ("matching", "/mentorship/staff/matching/"),
            ("library-desk", "/network/staff/resources/"),
            ("new-resource", "/network/staff/resources/new/"),
            ("calculator", "/network/staff/calculator/"),
            ("invitations", "/staff/invitations/"),
            ("roles", "/staff/roles/"),
        ],
        "kazan.lead@demo.fls": [
            ("mentee", "/p/kazan-candidate/mentorship/"),
            ("matches", "/p/kazan-candidate/mentorship/matches/"),
            ("training-days", "/mentorship/training-days/"),
            ("booking-day", f"/mentorship/training-days/{kazan_booking.training_day_id}/"),
        ],
    }


def more_pages() -> dict[str, list[tuple[str, str, int]]]:
    """(name, path, status) of the other pages each person meets: account and two-factor pages, error
    pages, the admin. Checked like the main pages (language, axe), without a screenshot."""
    from django.contrib.auth import get_user_model

    from programmes.models import Programme
    from programmes.services import invitation_create
    from recognition.models import StandardText

    p = "/p/yaroslavl-rech"
    text = StandardText.objects.filter(standard__number=1, language="ru").order_by("-standard__catalogue").first()
    _invitation, token = invitation_create(  # what a newcomer opens from the e-mail
        actor=get_user_model().objects.get(email="lead@demo.fls"),
        email="newcomer@yaroslavl.example",
        role="coordinator",
        programme=Programme.objects.get(slug="yaroslavl-rech"),
    )
    return {
        "visitor": [
            ("signup", "/accounts/signup/", 200),
            ("reset-done", "/accounts/password/reset/done/", 200),
            ("reset-bad-key", "/accounts/password/reset/key/1-not-a-key/", 200),
            ("invitation", f"/invitations/{token}/", 200),
            ("invitation-bad", "/invitations/not-a-token/", 404),
            ("not-found", "/no-such-page/", 404),
            ("episodes-anonymous", f"{p}/episodes/", 200),  # the log-in page it sends them to
        ],
        "coordinator@demo.fls": [
            ("bad-request", f"{p}/episodes/new/?patient=abc", 400),
            ("other-programme", "/p/lyon-sud/", 404),
            ("no-such-episode", f"{p}/episodes/999999999/", 404),
            ("log-out", "/accounts/logout/", 200),
        ],
        "lead@demo.fls": [
            ("recovery-codes", "/accounts/2fa/recovery-codes/", 200),
            ("reauthenticate", "/accounts/reauthenticate/", 200),
            ("two-factor-reauthenticate", "/accounts/2fa/reauthenticate/", 200),
        ],
        "viewer@demo.fls": [("forbidden", f"{p}/episodes/new/", 403)],
        "staff@demo.fls": [
            ("admin", "/admin/", 200),
            ("admin-standard-texts", "/admin/recognition/standardtext/?language__exact=ru", 200),
            ("admin-standard-text", f"/admin/recognition/standardtext/{text.pk}/change/", 200),
        ],
        "admin@demo.fls": [
            ("admin", "/admin/", 200),
            ("admin-episodes", "/admin/patients/episode/", 200),
            ("admin-users", "/admin/accounts/user/", 200),
        ],
    }


NARROW = {"episode-form", "worklist", "dashboard", "scoring"}
# Forms walked by keyboard: every stop shows its focus, in the order of the page.
KEYBOARD = {"episode-form", "worklist", "scoring", "team", "publish-day", "join", "login"}


def keyboard_problems(page, steps: int = 60) -> list[str]:
    """Tab through the page: each stop must show a focus outline, and no stop may jump the order
    (a positive tabindex)."""
    problems = []
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    seen = set()
    for _step in range(steps):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => { const e = document.activeElement; if (!e || e === document.body) return null;
            const s = getComputedStyle(e);
            return {id: e.id || e.name || e.textContent.trim().slice(0, 30), tag: e.tagName,
                    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
                    tabindex: e.tabIndex, shadow: s.boxShadow !== 'none'}; }"""
        )
        if stop is None:
            break
        key = (stop["tag"], stop["id"])
        if key in seen and stop["tag"] != "INPUT":
            break  # went round
        seen.add(key)
        if not (stop["outline"] or stop["shadow"]):
            problems.append(f"no visible focus on {stop['tag']} {stop['id']!r}")
        if stop["tabindex"] > 0:
            problems.append(f"tabindex {stop['tabindex']} on {stop['tag']} {stop['id']!r}")
    return problems


def log_in_demo(page, base_url, email):
    from programmes.demo import DEMO_PASSWORD, demo_code

    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/accounts/2fa/authenticate/" in page.url:
        page.get_by_label("Code").fill(demo_code())
        page.get_by_label("Code").press("Enter")
        page.wait_for_url(lambda url: "/accounts/2fa/" not in url)
    page.wait_for_load_state()


def choose_language(page, language):
    """The header's switcher, by keyboard: focus it, pick, submit."""
    page.locator("#site-language").select_option(language)
    page.locator("#site-language").press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == language


def serious_violations(page, *, contrast: bool = True) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    options = {"resultTypes": ["violations"]}
    if not contrast:
        options["rules"] = {"color-contrast": {"enabled": False}}
    results = Axe().run(page, options=options)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


# What a page in another language may still hold in Latin letters: names, codes and addresses.
UNTRANSLATED_JS = """() => {
  const english = /\\b(the|and|of|to|your|you|for|with|this|is|are|not|from|by|on|in|an|be|or|has|have|was|were|will|at|as|its|it|no|yes|all|each|every|any|new|back|save|show|log|sign)\\b/gi;
  const code = /^(?:[a-z]+_[a-z_]+|[a-z]{2}|[A-Z]{2}|hip|inpatient|outpatient|vertebral|organisation|gold|silver|bronze|mixed|primary_care|female|male|requested|confirmed|declined|cancelled|attended|waiting|pending|draft|submitted|under_review|recognised|coordinator|lead|viewer|reviewer)$/;
  const found = [];
  const skip = (e) => e.closest('script, style, textarea, .user-text, [translate=no], [lang]:not(html), code, pre, .leaflet-container, #site-language, [hidden]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (!text || !node.parentElement || skip(node.parentElement)) continue;
    const words = (text.match(english) || []).length;
    const parts = text.split(/[,·:;()\\/]+/).map(t => t.trim()).filter(Boolean);
    if (words >= 2 || code.test(text) || parts.some(t => code.test(t))) found.push(text.slice(0, 80));
  }
  for (const e of document.querySelectorAll('[placeholder], [aria-label], [title], input[type=submit][value]')) {
    if (skip(e)) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'value']) {
      const text = (name === 'value' && e.type !== 'submit') ? '' : (e.getAttribute(name) || '');
      if ((text.match(english) || []).length >= 2) found.push(`${name}="${text.slice(0, 60)}"`);
    }
  }
  return [...new Set(found)].slice(0, 8);
}"""


def broken_words(page) -> list[str]:
    """KPI bands ("綠色") and dates broken over lines: each is one word, never a column of characters."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.band, span.date, time')].filter(b => {
            const lines = b.getClientRects().length, style = getComputedStyle(b);
            return lines > 1 || b.getBoundingClientRect().height > 2 * parseFloat(style.lineHeight || style.fontSize);
        }).map(b => b.textContent.trim()).slice(0, 3)"""
    )


def untranslated(page) -> list[str]:
    """Text in the page (and the words screen readers read) that looks English, or a raw code."""
    return page.evaluate(UNTRANSLATED_JS)


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")


def wider_than_phone(page) -> list[str]:
    """The elements that reach past the right edge of the viewport (not inside a box that scrolls)."""
    return page.evaluate(
        """() => { const W = document.documentElement.clientWidth, out = [];
        for (const e of document.querySelectorAll('body *')) {
          const r = e.getBoundingClientRect(); if (r.right <= W + 1 || !r.width) continue;
          let p = e.parentElement, inside = false;
          for (; p; p = p.parentElement) if (getComputedStyle(p).overflowX === 'auto') { inside = true; break; }
          if (!inside) out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} to ${Math.round(r.right)} px`);
        } return out.slice(0, 5); }"""
    )


# --- What each person came to do, in the page's language (``t`` translates a message) ---------------


def visitor_journey(page, base, t):
    page.goto(base + "/map/")
    listing = page.locator(".programme-list")
    expect(listing.get_by_role("link", name="FLS Milano Niguarda")).to_be_visible()
    page.get_by_label(t("Recognition")).select_option("gold")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Show"), exact=True).click()
    expect(listing).to_be_visible()
    names = listing.get_by_role("link").filter(has_not_text="★").all_inner_texts()
    assert "FLS Milano Niguarda" in names and "FLS Yaroslavl" not in names
    page.goto(base + "/p/yaroslavl-rech/episodes/")
    assert "/accounts/login/" in page.url  # patients are never public


def coordinator_journey(page, base, t):
    """The worklist by keyboard alone: the date field, Tab to its button, Enter."""
    page.goto(base + "/p/yaroslavl-rech/worklist/")
    row = page.locator("#" + page.locator("table tr", has=page.locator("input[type=date]")).first.get_attribute("id"))
    first_date = row.locator("input[type=date]")
    first_date.focus()
    for _segment in range(4):  # Chromium tabs through the date's day, month and year first
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    assert page.evaluate("document.activeElement.textContent.trim()") == t("Record")
    page.keyboard.press("Enter")
    expect(row.get_by_role("status")).to_have_text(re.compile("^" + re.escape(t("Recorded"))))


def keyboard_fill(page, values: dict[str, str], steps: int = 80) -> None:
    """Tab from the top of the page to each field of ``values`` in turn (by id), and fill it by keys
    alone: text typed, a date typed segment by segment in the browser's order (day first, else month
    first), a list moved with the arrow keys. Failing to reach a field by Tab, in this order, fails."""
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    for field_id, value in values.items():
        for _step in range(steps):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == field_id:
                break
        else:
            raise AssertionError(f"Tab never reached #{field_id} after the fields before it")
        kind = page.evaluate("document.activeElement.tagName === 'SELECT' ? 'select' : document.activeElement.type")
        if kind == "select":
            options = page.evaluate("[...document.activeElement.options].map(o => o.value)")
            moves = options.index(value) - options.index(page.evaluate("document.activeElement.value"))
            for _move in range(abs(moves)):
                page.keyboard.press("ArrowDown" if moves > 0 else "ArrowUp")
        elif kind == "date":
            day = date.fromisoformat(value)
            page.keyboard.type(day.strftime("%d%m%Y"))
            if page.evaluate("document.activeElement.value") != value:  # the browser's order is month first
                page.keyboard.press("Shift+Tab")
                page.keyboard.press("Shift+Tab")
                page.keyboard.type(day.strftime("%m%d%Y"))
        else:
            page.keyboard.type(value)
        assert page.evaluate("document.activeElement.value") == value, f"#{field_id} holds something else"


def press_button(page, name: str, steps: int = 80) -> None:
    """Tab on to the button called ``name`` and press Enter on it."""
    for _step in range(steps):
        page.keyboard.press("Tab")
        if (
            page.evaluate("document.activeElement.tagName === 'BUTTON' && document.activeElement.textContent.trim()")
            == name
        ):
            break
    else:
        raise AssertionError(f"Tab never reached the button {name!r}")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def episode_by_keyboard_and_report(page, base, t) -> list[str]:
    """A new episode typed by keyboard alone, then a PDF report of the dashboard's period: its status
    page is checked like every page."""
    today = timezone.localdate()
    page.goto(base + "/p/yaroslavl-rech/episodes/new/")
    keyboard_fill(
        page,
        {
            "id_patient_ref": "KB-0001",
            "id_sex": "female",
            "id_birth_date": (today - timedelta(days=74 * 365)).isoformat(),
            "id_fracture_date": (today - timedelta(days=30)).isoformat(),
            "id_fracture_site": "wrist",
        },
    )
    press_button(page, t("Save episode"))
    expect(page.get_by_text(t("Episode saved for patient %(ref)s.") % {"ref": "KB-0001"})).to_be_visible()

    page.goto(base + "/p/yaroslavl-rech/kpis/")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Prepare a PDF report of this period")).click()
    expect(page.get_by_text(t("Your report is ready."))).to_be_visible()  # the worker runs in-process here
    return serious_violations(page)


def viewer_journey(page, base, t):
    page.goto(base + "/p/yaroslavl-rech/episodes/")
    assert page.get_by_role("link", name=t("New episode")).count() == 0
    assert page.goto(base + "/p/yaroslavl-rech/episodes/new/").status == 403


def lead_journey(page, base, t):
    page.goto(base + "/p/yaroslavl-rech/team/")
    invite = page.locator("section[aria-labelledby=invite-h]")
    invite.get_by_label(t("E-mail address")).fill("new.nurse@yaroslavl.example")
    invite.get_by_label(t("Role")).select_option("coordinator")
    with page.expect_navigation():
        invite.get_by_role("button", name=t("Send invitation")).click()
    expect(page.get_by_text("new.nurse@yaroslavl.example").first).to_be_visible()
    assert page.goto(base + "/p/lyon-sud/").status == 404  # another programme is not theirs


def reviewer_journey(page, base, t):
    from recognition.models import ReviewAssignment

    pending = ReviewAssignment.objects.filter(
        reviewer__email="reviewer@demo.fls", submitted_at__isnull=True, application__state="under_review"
    ).first()
    page.goto(base + "/recognition/reviews/")
    with page.expect_navigation():
        page.locator(f"a[href='/recognition/reviews/{pending.pk}/']").first.click()
    score = page.locator("select[id^=score-]").first
    key = score.get_attribute("id").removeprefix("score-")
    score.select_option("2")
    page.locator(f"#comment-{key}").fill("Evidence checked against the frozen figures.")
    page.locator(f"#comment-{key}").dispatch_event("change")
    expect(page.locator(f"#saved-{key}")).not_to_have_text("")
    assert page.goto(base + "/p/lyon-sud/episodes/").status in (403, 404)  # no patient rows


def staff_journey(page, base, t):
    page.goto(base + "/mentorship/staff/requests/")
    with page.expect_navigation():
        page.get_by_role(
            "button", name=t("Approve: create the candidate site and invite its contact as lead")
        ).first.click()
    expect(page.locator(".message-success").first).to_be_visible()
    assert page.goto(base + "/p/yaroslavl-rech/episodes/").status in (403, 404)  # never a patient row


def mentee_journey(page, base, t):
    page.goto(base + "/mentorship/training-days/")
    with page.expect_navigation():
        page.locator("table a[href*='/mentorship/training-days/']").first.click()
    page.get_by_label(t("Attendee's name")).fill("Ilnar Safin")
    page.get_by_label(t("Attendee's e-mail")).fill("ilnar.safin@kazan.example")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Request a seat")).click()
    expect(page.locator(".message-success").first).to_be_visible()


def mentor_journey(page, base, t):
    page.goto(base + "/p/yaroslavl-rech/mentorship/")
    section = page.locator("section", has=page.get_by_role("heading", name=t("Requests to answer")))
    with page.expect_navigation():
        section.get_by_role("button", name=re.compile("^" + re.escape(t("Confirm")))).first.click()
    expect(page.locator(".message-success").first).to_be_visible()


def staff_corrects_a_translation(page, base, t):
    """IOF staff correct a standard's Russian name in the admin; the public catalogue shows it."""
    from recognition.selectors import current_catalogue

    text = current_catalogue().standards.get(number=1).texts.get(language="ru")
    corrected = f"{text.name} (исправлено)"
    page.goto(base + f"/admin/recognition/standardtext/{text.pk}/change/")
    page.locator("#id_name").fill(corrected)
    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.goto(base + "/recognition/catalogue/")
    choose_language(page, "ru")
    expect(page.get_by_text(corrected)).to_be_visible()


def admin_journey(page, base, t):
    """The system administrator finds a person in the admin by typing in its search box."""
    page.goto(base + "/admin/accounts/user/")
    page.locator("#searchbar").fill("lyon")
    with page.expect_navigation():
        page.locator("#searchbar").press("Enter")
    expect(page.get_by_role("link", name="lyon.lead@demo.fls")).to_be_visible()
    expect(page.get_by_role("link", name="kazan.lead@demo.fls")).to_have_count(0)


# Each person's journeys, in order; a journey may return problems found on the pages it reached.
JOURNEYS = {
    "visitor": (visitor_journey,),
    "coordinator@demo.fls": (coordinator_journey, episode_by_keyboard_and_report),
    "lead@demo.fls": (lead_journey, mentor_journey),
    "viewer@demo.fls": (viewer_journey,),
    "reviewer@demo.fls": (reviewer_journey,),
    "staff@demo.fls": (staff_journey, staff_corrects_a_translation),
    "kazan.lead@demo.fls": (mentee_journey,),
    "admin@demo.fls": (admin_journey,),
}


def translator(language):
    def t(message: str) -> str:
        with translation.override(language):
            return translation.gettext(message)

    return t


@pytest.fixture
def demo_world(transactional_db, catalogue):
    call_command("load_demo", verbosity=0)
    main, more = demo_pages(), more_pages()
    people = [*main, *(person for person in more if person not in main)]
    # (name, path, status, screenshot?) of each person's pages: their main pages first.
    return {
        person: [(name, path, 200, True) for name, path in main.get(person, [])]
        + [(name, path, status, False) for name, path, status in more.get(person, [])]
        for person in people
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_role_reads_its_pages_accessibly_and_does_its_work(live_server, browser, demo_world, language):
    shots = Path(os.environ["FLS_SCREENSHOTS"]) if os.environ.get("FLS_SCREENSHOTS") else None
    shots = shots if language in SCREENSHOT_LANGUAGES else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    problems = []
    for person, pages in demo_world.items():
        problems += walk_as(browser, live_server.url, person, pages, language, shots)
    assert problems == [], "\n".join(problems)


def walk_as(browser, base, person, pages, language, shots) -> list[str]:
    """One person's pages and journeys in one language; the problems found."""
    problems = []
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    if person != "visitor":
        log_in_demo(page, base, person)
    page.goto(base + "/")  # the header's switcher (the admin has none)
    choose_language(page, language)
    role = person.split("@")[0]
    for name, path, status, screenshot in pages:
        response = page.goto(base + path)
        assert response.status == status, f"{role} {path}: {response.status}"
        assert page.locator("html").get_attribute("lang") == language, path
        # Colours and the order of the fields come from the same CSS and templates in every
        # language: the first language's walk fails on a contrast or a keyboard defect of any page.
        first = language == LANGUAGES[0]
        problems += [f"[{language}] {role} {path}: {v}" for v in serious_violations(page, contrast=first)]
        if not first:  # no English left in a translated page, and no raw code
            problems += [f"[{language}] {role} {path}: untranslated {text!r}" for text in untranslated(page)]
        if screenshot and shots:
            page.screenshot(path=str(shots / f"{role}-{name}-{language}.jpg"), type="jpeg", quality=70)
        if name in KEYBOARD and first:
            problems += [f"[{language}] {role} {path}: {p}" for p in keyboard_problems(page)]
        page.set_viewport_size(PHONE)
        problems += [
            f"[{language}] {role} {path}: {word!r} breaks over lines on a phone" for word in broken_words(page)
        ]
        if scrolls_sideways(page):
            problems.append(
                f"[{language}] {role} {path}: scrolls sideways on a phone (390 px): {wider_than_phone(page)}"
            )
        if screenshot and shots and (role, name) in PHONE_SHOTS:
            page.screenshot(path=str(shots / f"{role}-{name}-phone-{language}.jpg"), type="jpeg", quality=70)
        page.set_viewport_size({"width": 1280, "height": 900})
        if name in NARROW:
            for size in NARROW_SIZES:
                page.set_viewport_size(size)
                if scrolls_sideways(page):
                    problems.append(f"[{language}] {role} {path}: scrolls sideways at {size['width']}x{size['height']}")
            page.set_viewport_size({"width": 1280, "height": 900})
    for journey in JOURNEYS[person]:
        found = journey(page, base, translator(language)) or []
        problems += [f"[{language}] {role} {journey.__name__}: {p}" for p in found]
    context.close()
    return problems
