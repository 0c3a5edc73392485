"""The pages people use: the lead's form, the reviewer's save-as-you-go, IOF staff's desk."""

import re

from recognition.models import Application, State
from tests.fls_registry.test_labels import RU, text_of
from tests.recognition.conftest import answer_everything, score_all


def test_the_lead_starts_saves_and_submits_through_the_pages(programme, lead, login):
    client = login(lead)
    from tests.recognition.conftest import last_full_year_start

    response = client.post(
        f"/p/{programme.slug}/recognition/",
        {"period_start": last_full_year_start().strftime("%Y-%m"), "domains": ["organisation"]},
    )
    assert response.status_code == 302
    application = Application.objects.for_programme(programme).get()
    page = client.get(response["Location"]).content.decode()
    assert "Standard 5 (Assessment guidelines), organisation: answer the question." in page
    form = {
        "save_answers": "",
        "text-5-organisation": "National guideline",
        "claim-5-organisation": "2",
        "v-5-organisation": "0",
        "text-11-organisation": "GP letters",
        "claim-11-organisation": "3",
        "v-11-organisation": "0",
        "text-13-organisation": "",
        "v-13-organisation": "0",
    }
    assert client.post(response["Location"], form).status_code == 302
    assert application.answers.count() == 2
    # A second tab still holding version 0 of the answers: refused, nothing overwritten.
    stale = {**form, "text-5-organisation": "Overwrite?"}
    conflict = client.post(response["Location"], stale)
    assert conflict.status_code == 409
    assert "changed by someone else" in conflict.content.decode()
    assert application.answers.get(standard=5).text == "National guideline"
    assert client.post(f"/p/{programme.slug}/recognition/{application.pk}/submit/").status_code == 302
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_a_period_not_yet_ended_is_explained_on_the_form(programme, lead, login):
    from django.utils import timezone

    response = login(lead).post(
        f"/p/{programme.slug}/recognition/", {"period_start": timezone.localdate().strftime("%Y-%m")}
    )
    assert response.status_code == 400
    assert "The 12 months must have ended" in response.content.decode()
    assert not Application.objects.for_programme(programme).exists()


def test_a_reviewers_score_saves_on_change(programme, lead, reviewers, iof_staff, start_application, login):
    from recognition import services

    application = start_application(programme, lead)
    answer_everything(application, lead)
    services.application_submit(application=application, actor=lead)
    for reviewer in reviewers:
        services.reviewer_assign(application=application, reviewer=reviewer, actor=iof_staff)
    assignment = application.assignments.get(reviewer=reviewers[0])
    url = f"/recognition/reviews/{assignment.pk}/"
    response = login(reviewers[0]).post(url, {"score-1-hip": "2", "comment-1-hip": "Fine"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().startswith("Saved at")
    assert assignment.scores.get(standard=1, domain="hip").score == 2
    bad = login(reviewers[0]).post(url, {"score-1-hip": "7"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    assert assignment.scores.get(standard=1, domain="hip").score == 2


def test_a_departure_without_reason_is_marked_at_its_field_and_a_premature_submit_gives_one_summary(
    under_review, reviewers, login
):
    """The score autosaves, and the pair says at once that it needs a reason; submitting too early
    gives one message with a count, and the list links each problem to its field."""
    from recognition import selectors

    assignment = under_review.assignments.get(reviewer=reviewers[0])
    url = f"/recognition/reviews/{assignment.pk}/"
    client = login(reviewers[0])
    number = next(n for n, score in selectors.suggestions(under_review).items() if score is not None)
    domain = next(d for standard, d in under_review.pairs() if standard.number == number)
    key = f"{number}-{domain}"
    suggested = selectors.suggestions(under_review)[number]
    departing = str((suggested + 1) % 4)
    marked = client.post(
        url, {f"score-{key}": departing, f"comment-{key}": ""}, HTTP_HX_REQUEST="true"
    ).content.decode()
    problem = re.search(rf'<p id="problem-{key}"[^>]*>([^<]*)</p>', marked)
    assert problem and "hidden" not in problem.group(0) and "say why you depart" in problem.group(1)
    page = client.get(url).content.decode()
    assert re.search(rf'<p id="problem-{key}" class="field-problem">[^<]*say why you depart', page)
    cleared = client.post(
        url, {f"score-{key}": departing, f"comment-{key}": "The evidence says otherwise."}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert re.search(rf'<p id="problem-{key}"[^>]* hidden>', cleared)

    response = client.post(url, {"submit_review": ""}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].endswith("#review-problems")
    pairs = len(under_review.pairs())
    assert page.count('class="message message-error"') == 1
    assert f"The review cannot be submitted yet: {pairs - 1} things to do" in page
    assert f"{pairs - 1} things stop the submission:" in page
    assert len(re.findall(r'<li><a href="#score-\d+-\w+">Standard', page)) == pairs - 1


def test_staff_see_why_a_reviewer_is_refused(programme, lead, iof_staff, start_application, login):
    from recognition import services
    from tests.factories import MembershipFactory, UserFactory

    application = start_application(programme, lead)
    answer_everything(application, lead)
    services.application_submit(application=application, actor=lead)
    insider = UserFactory(full_name="Insider", is_reviewer=True)
    MembershipFactory(programme=programme, user=insider, role="viewer")
    page = login(iof_staff).get(f"/recognition/staff/{application.pk}/").content.decode()
    assert "Insider belongs to FLS Yaroslavl: a reviewer never reviews their own programme." in page


def test_a_reviewer_logging_in_sees_what_they_have_to_do(
    programme, lead, reviewers, iof_staff, start_application, login
):
    from recognition import services

    application = start_application(programme, lead)
    answer_everything(application, lead)
    services.application_submit(application=application, actor=lead)
    assert "1 recognition application in progress" in login(iof_staff).get("/").content.decode()
    for reviewer in reviewers:
        services.reviewer_assign(application=application, reviewer=reviewer, actor=iof_staff)
    assert "1 review to score" in login(reviewers[0]).get("/").content.decode()
    assert "review" not in login(lead).get("/").content.decode().split("<main")[1].lower()


def test_the_draft_shows_the_frozen_figures_it_rests_on(programme, lead, start_application, login):
    """Every KPI of the frozen set, KPI11 included, with its value and its numerator and denominator."""
    application = start_application(programme, lead)
    page = login(lead).get(f"/p/{programme.slug}/recognition/{application.pk}/").content.decode()
    section = page[page.index('id="frozen-h"') : page.index("Freeze the figures again")]
    for code in [f"KPI{n}" for n in range(1, 12)]:
        assert f"{code} " in section, code
    kpi11 = application.kpi("KPI11")
    assert f"{kpi11['numerator']} / {kpi11['denominator'] if kpi11['denominator'] is not None else '—'}" in section


def test_the_staff_desk_names_domains_and_levels_and_rounds_the_means(under_review, reviewers, iof_staff, login):
    for reviewer in reviewers:
        score_all(under_review, reviewer, lambda standard, domain: 2 if standard.number % 3 else 1)
    page = login(iof_staff).get(f"/recognition/staff/{under_review.pk}/", headers=RU).content.decode()
    section = text_of(page[page.index('id="result-h"') : page.index("</section>", page.index('id="result-h"'))])
    for raw in ("hip", "inpatient", "outpatient", "organisation", "silver", "bronze", "gold"):
        assert not re.search(rf"\b{raw}\b", section), (raw, section)
    assert not re.search(r"\d\.\d{3,}", section), section  # means to two decimals
