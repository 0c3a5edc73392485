"""Browser journeys of recognition: the lead completes and submits; a reviewer scores and submits."""

import time

import pytest
from playwright.sync_api import expect

from recognition import services
from recognition.models import Application, State
from tests.factories import PASSWORD, totp_code
from tests.recognition.conftest import answer_everything, last_full_year_start

pytestmark = pytest.mark.browser


def log_in(page, live_server, user):
    """The login page, then the authenticator code for the roles that require one."""
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/accounts/2fa/authenticate/" in page.url:
        page.get_by_label("Code").fill(unused_code(user))
        page.get_by_label("Code").press("Enter")
        page.wait_for_url(lambda url: "/accounts/2fa/" not in url)


_codes_used: set[tuple[int, int]] = set()


def unused_code(user) -> str:
    """A code the app would show now or in the neighbouring period (all accepted), not yet used by
    this user: a code works once, and one journey may log the same person in twice in 30 seconds."""
    now = int(time.time()) // 30
    offset = next(o for o in (0, 1, -1) if (user.pk, now + o) not in _codes_used)
    _codes_used.add((user.pk, now + offset))
    return totp_code(offset=offset)


def test_the_lead_completes_and_submits_an_application(
    live_server, page, catalogue, programme, lead, artifacts_dir, tmp_path
):
    log_in(page, live_server, lead)
    page.goto(f"{live_server.url}/p/{programme.slug}/")
    page.get_by_role("link", name="Recognition").click()
    page.get_by_label("First month of the 12-month period").fill(last_full_year_start().strftime("%Y-%m"))
    page.get_by_label("Organisation").check()
    page.get_by_role("button", name="Start the application").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Recognition application")
    expect(page.get_by_text("Standard 5 (Assessment guidelines), organisation: answer the question.")).to_be_visible()
    for number, answer in ((5, "We follow the national guideline."), (11, "A letter reaches the GP in a week.")):
        page.locator(f"#text-{number}-organisation").fill(answer)
        page.locator(f"#claim-{number}-organisation").select_option("2")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved (2 answers changed).")).to_be_visible()
    evidence = tmp_path / "guideline.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.get_by_label("Standard and domain").select_option("5-organisation")
    page.get_by_label("Evidence file (PDF, PNG or JPEG, at most 10 MB)").set_input_files(str(evidence))
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("guideline.pdf attached.")).to_be_visible()
    page.get_by_role("link", name="Self-assessment: the level this would suggest, and what would raise it").click()
    expect(page.get_by_text("Overall level this would suggest:")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "recognition-self-assessment.png"), full_page=True)
    page.go_back()
    page.screenshot(path=str(artifacts_dir / "recognition-lead-draft.png"), full_page=True)
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_text("Application submitted.")).to_be_visible()
    application = Application.objects.for_programme(programme).get()
    assert application.state == State.SUBMITTED
    assert application.evidence.count() == 1
    expect(page.get_by_role("button", name="Save draft")).not_to_be_visible()  # locked


def test_a_reviewer_scores_as_they_go_and_submits(
    live_server, page, programme, lead, reviewers, iof_staff, start_application, artifacts_dir
):
    application = start_application(programme, lead, domains=["organisation"])
    answer_everything(application, lead)
    services.application_submit(application=application, actor=lead)
    for reviewer in reviewers:
        services.reviewer_assign(application=application, reviewer=reviewer, actor=iof_staff)
    reviewer = reviewers[0]
    log_in(page, live_server, reviewer)
    page.get_by_role("link", name="Your reviews").click()
    page.get_by_role("link", name=programme.name).click()
    suggested = services.selectors.suggestions(application)
    for standard, domain in application.pairs():
        key = f"{standard.number}-{domain}"
        score = suggested[standard.number] if suggested[standard.number] is not None else 2
        page.locator(f"#score-{key}").select_option(str(score))
        page.locator(f"#saved-{key}").get_by_text("Saved at").wait_for()
    assignment = application.assignments.get(reviewer=reviewer)
    assert assignment.scores.count() == len(application.pairs())  # saved without pressing a button
    expect(page.get_by_text("Every pair is scored: you can submit.")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "recognition-reviewer-scoring.png"), full_page=True)
    page.get_by_role("button", name="Submit the review").click()
    expect(page.get_by_text("Review submitted. Thank you.")).to_be_visible()
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
