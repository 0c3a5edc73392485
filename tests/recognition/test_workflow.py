"""Applications from draft to decision: who may move them, and what each step records."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from programmes.models import AccessEvent
from programmes.rls import programme_scope
from recognition import selectors, services
from recognition.models import Application, Recognition, State, Transition
from tests.factories import MembershipFactory, UserFactory
from tests.recognition.conftest import answer_everything, last_full_year_start, score_all


def test_starting_freezes_the_iof_2020_figures_whatever_set_the_dashboard_uses(
    programme, lead, make_episode, start_application
):
    programme.kpi_set = "fls-db"
    programme.save()
    make_episode(programme, lead, fracture_date=(last_full_year_start() + timedelta(days=40)).isoformat())
    application = start_application(programme, lead)
    assert application.frozen_kpis["kpi_set"] == "iof-2020"
    assert application.frozen_kpis["episodes"] == 1
    assert [k["code"] for k in application.frozen_kpis["kpis"]][:2] == ["KPI1", "KPI2"]
    assert application.state == State.DRAFT
    assert application.period_end.year == application.period_start.year + (application.period_start.month > 1)


def test_later_episode_edits_never_change_a_started_application(programme, lead, make_episode, start_application):
    inside = (last_full_year_start() + timedelta(days=10)).isoformat()
    make_episode(programme, lead, patient_ref="A", fracture_date=inside)
    application = start_application(programme, lead)
    frozen = application.frozen_kpis
    make_episode(programme, lead, patient_ref="B", fracture_date=inside)
    application.refresh_from_db()
    assert application.frozen_kpis == frozen
    assert application.frozen_kpis["episodes"] == 1
    # The lead may refresh while it is a draft.
    refreshed = services.application_refresh_kpis(application=application, actor=lead)
    assert refreshed.frozen_kpis["episodes"] == 2


def test_a_period_that_has_not_ended_is_refused(programme, lead):
    from django.utils import timezone

    with pytest.raises(ValidationError) as refused:
        services.application_start(programme=programme, actor=lead, period_start=timezone.localdate())
    assert "must have ended" in str(refused.value)


def test_one_application_in_progress_per_programme(programme, lead, start_application):
    start_application(programme, lead)
    with pytest.raises(ValidationError) as refused:
        start_application(programme, lead)
    assert "already has an application in progress" in str(refused.value)


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_only_the_lead_applies(programme, make_member, role, start_application):
    with pytest.raises(PermissionDenied):
        start_application(programme, make_member(programme, role))


def test_the_checklist_lists_unanswered_organisational_standards_and_blocks_submit(programme, lead, start_application):
    application = start_application(programme, lead, domains=["organisation"])
    missing = services.submission_checklist(application)
    assert [m.split(" (")[0] for m in missing] == ["Standard 5", "Standard 11"]
    with pytest.raises(ValidationError):
        services.application_submit(application=application, actor=lead)
    answer_everything(application, lead)
    assert services.submission_checklist(application) == []


def test_submitting_locks_the_application(submitted, lead):
    assert submitted.state == State.SUBMITTED
    with pytest.raises(ValidationError):
        services.application_update(application=submitted, actor=lead, version=submitted.version, domains=["hip"])
    with pytest.raises(ValidationError):
        answer_everything(submitted, lead, claimed=3)


def test_two_leads_saving_the_same_answer_do_not_overwrite_each_other(programme, lead, make_member, start_application):
    other_lead = make_member(programme, "lead")
    application = start_application(programme, lead, domains=["organisation"])
    first = services.AnswerInput(standard=5, domain="organisation", text="First", claimed_score=1, version=0)
    services.answers_save(application=application, actor=lead, answers=[first])
    stored = application.answers.get(standard=5)
    # Both opened version 1; the first save wins, the second comes back as a conflict, nothing lost.
    mine = services.AnswerInput(standard=5, domain="organisation", text="Mine", claimed_score=2, version=stored.version)
    theirs = services.AnswerInput(
        standard=5, domain="organisation", text="Theirs", claimed_score=3, version=stored.version
    )
    other = services.AnswerInput(standard=11, domain="organisation", text="Letters", claimed_score=2, version=0)
    assert services.answers_save(application=application, actor=lead, answers=[mine]) == (1, [])
    saved, conflicts = services.answers_save(application=application, actor=other_lead, answers=[theirs, other])
    assert (saved, conflicts) == (1, [theirs])
    assert application.answers.get(standard=5).text == "Mine"
    assert application.answers.get(standard=11).text == "Letters"


def test_a_stale_domains_form_is_refused(programme, lead, start_application):
    application = start_application(programme, lead)
    version = application.version
    services.application_update(application=application, actor=lead, version=version, domains=["hip"])
    with pytest.raises(services.EditConflict):
        services.application_update(application=application, actor=lead, version=version, domains=["vertebral"])
    application.refresh_from_db()
    assert application.domains == ["hip"]


def test_two_reviewers_put_it_under_review_and_the_grant_is_audited(
    submitted, reviewers, iof_staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for reviewer in reviewers:
            services.reviewer_assign(application=submitted, reviewer=reviewer, actor=iof_staff)
    under_review = Application.objects.for_programme(submitted.programme).get()
    assert under_review.state == State.UNDER_REVIEW
    with programme_scope(under_review.programme_id):
        events = AccessEvent.objects.for_programme(under_review.programme).filter(action="reviewer_assigned")
        assert sorted(e.subject.email for e in events) == sorted(r.email for r in reviewers)
    assert sorted(m.to[0] for m in mail.outbox if "to review" in m.subject) == sorted(r.email for r in reviewers)


def test_a_reviewer_never_reviews_their_own_programme(submitted, iof_staff):
    member = UserFactory(is_reviewer=True, country="IT")
    MembershipFactory(programme=submitted.programme, user=member, role="viewer")
    with pytest.raises(ValidationError) as refused:
        services.reviewer_assign(application=submitted, reviewer=member, actor=iof_staff)
    assert "never reviews their own programme" in str(refused.value)


def test_a_reviewer_of_the_programmes_country_is_refused_while_another_is_free(submitted, reviewers, iof_staff):
    compatriot = UserFactory(full_name="Compatriot", is_reviewer=True, country=submitted.programme.country.code)
    with pytest.raises(ValidationError) as refused:
        services.reviewer_assign(application=submitted, reviewer=compatriot, actor=iof_staff)
    assert "another reviewer from elsewhere is free" in str(refused.value)
    # Once the others are taken, the compatriot may review.
    services.reviewer_assign(application=submitted, reviewer=reviewers[0], actor=iof_staff)
    reviewers[1].is_active = False
    from accounts.models import authority_change

    with authority_change(reviewers[1]):
        reviewers[1].save()
    services.reviewer_assign(application=submitted, reviewer=compatriot, actor=iof_staff)
    assert submitted.assignments.count() == 2


def test_only_iof_staff_assign_reviewers(submitted, reviewers, lead):
    with pytest.raises(PermissionDenied):
        services.reviewer_assign(application=submitted, reviewer=reviewers[0], actor=lead)
    with pytest.raises(PermissionDenied):
        services.reviewer_assign(application=submitted, reviewer=reviewers[0], actor=reviewers[1])


def test_a_third_reviewer_is_refused(under_review, iof_staff):
    with pytest.raises(ValidationError):
        services.reviewer_assign(application=under_review, reviewer=UserFactory(is_reviewer=True), actor=iof_staff)


def test_blind_review_the_other_scores_appear_only_after_both_submitted(under_review, reviewers, login):
    a, b = reviewers
    assignment_a = under_review.assignments.get(reviewer=a)
    assignment_b = under_review.assignments.get(reviewer=b)
    services.score_save(
        assignment=assignment_b, actor=b, standard=1, domain="hip", score=3, comment="Strong identification"
    )
    page = login(a).get(f"/recognition/reviews/{assignment_a.pk}/").content.decode()
    assert "Strong identification" not in page
    assert "Both reviews" not in page
    score_all(under_review, b, lambda s, d: 2)
    page = login(a).get(f"/recognition/reviews/{assignment_a.pk}/").content.decode()
    assert "Both reviews" not in page  # b is done, a is not
    score_all(under_review, a, lambda s, d: 2)
    page = login(a).get(f"/recognition/reviews/{assignment_a.pk}/").content.decode()
    assert "Both reviews" in page


def test_a_reviewer_cannot_score_anothers_assignment(under_review, reviewers):
    a, b = reviewers
    with pytest.raises(PermissionDenied):
        services.score_save(
            assignment=under_review.assignments.get(reviewer=b), actor=a, standard=1, domain="hip", score=1
        )


def test_only_the_pairs_the_application_is_scored_on_take_a_score(under_review, reviewers):
    a = reviewers[0]
    assignment = under_review.assignments.get(reviewer=a)
    pairs = {(standard.number, domain) for standard, domain in under_review.pairs()}
    not_in_hip = next(s.number for s in under_review.standards if "hip" not in s.domains)
    for standard, domain in ((1, "vertebral"), (not_in_hip, "hip"), (14, "hip")):
        assert (standard, domain) not in pairs
        with pytest.raises(ValidationError, match="not scored in this domain"):
            services.score_save(assignment=assignment, actor=a, standard=standard, domain=domain, score=1)
    assert not assignment.scores.exists()


def test_departing_from_the_suggestion_needs_a_reason_before_submit(under_review, reviewers):
    a = reviewers[0]
    assignment = under_review.assignments.get(reviewer=a)
    suggested = selectors.suggestions(under_review)
    for standard, domain in under_review.pairs():
        given = 3 if suggested[standard.number] != 3 else 2
        services.score_save(assignment=assignment, actor=a, standard=standard.number, domain=domain, score=given)
    with pytest.raises(ValidationError) as refused:
        services.review_submit(assignment=assignment, actor=a)
    assert "depart from the suggested score" in str(refused.value)


def test_agreeing_reviews_go_to_decision_with_the_lower_score(
    under_review, reviewers, iof_staff, lead, django_capture_on_commit_callbacks
):
    a, b = reviewers
    score_all(under_review, a, lambda s, d: 3)
    score_all(under_review, b, lambda s, d: 2)
    under_review.refresh_from_db()
    assert under_review.state == State.DECISION
    assert selectors.computed_result(under_review).level == "silver"
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.application_decide(application=under_review, actor=iof_staff)
    assert decided.state == State.RECOGNISED
    recognition = Recognition.objects.for_programme(decided.programme).get()
    assert recognition.level == "silver"
    assert recognition.valid_until == recognition.decided_at.date().replace(year=recognition.decided_at.year + 3)
    assert selectors.current_recognition(decided.programme) == recognition
    assert any(lead.email in m.to and "Decision" in m.subject for m in mail.outbox)
    recognition.refresh_from_db()
    assert bytes(recognition.certificate_pdf).startswith(b"%PDF-")  # rendered by the (eager) worker


def test_pairs_more_than_one_level_apart_go_to_reconciliation_and_staff_adjudicate(under_review, reviewers, iof_staff):
    a, b = reviewers
    score_all(under_review, a, lambda s, d: 3 if s.number == 1 and d == "hip" else 2)
    score_all(under_review, b, lambda s, d: 1 if s.number == 1 and d == "hip" else 2)
    under_review.refresh_from_db()
    assert under_review.state == State.RECONCILIATION
    with pytest.raises(ValidationError):
        services.application_decide(application=under_review, actor=iof_staff)
    with pytest.raises(ValidationError):  # agreed pairs are not adjudicated
        services.adjudication_save(
            application=under_review, actor=iof_staff, standard=2, domain="hip", score=3, comment="x"
        )
    services.adjudication_save(
        application=under_review, actor=iof_staff, standard=1, domain="hip", score=3, comment="Evidence convinced"
    )
    under_review.refresh_from_db()
    assert under_review.state == State.DECISION


def test_changes_requested_send_it_back_to_draft_with_the_comments(under_review, reviewers, iof_staff, lead, login):
    a, b = reviewers
    score_all(under_review, a, lambda s, d: 2)
    with pytest.raises(ValidationError):
        services.changes_request(application=under_review, actor=iof_staff, comment=" ")
    services.changes_request(application=under_review, actor=iof_staff, comment="Please attach your guideline.")
    under_review.refresh_from_db()
    assert under_review.state == State.DRAFT
    page = login(lead).get(f"/p/{under_review.programme.slug}/recognition/{under_review.pk}/").content.decode()
    assert "Please attach your guideline." in page
    assert "Reason given." in page  # the reviewers' comments, without their names
    assert a.email not in page
    # Resubmitted: the same two reviewers look again.
    services.application_submit(application=under_review, actor=lead)
    under_review.refresh_from_db()
    assert under_review.state == State.UNDER_REVIEW
    assert not under_review.assignments.filter(submitted_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("state", "to", "who"),
    [
        (State.DRAFT, State.RECOGNISED, "iof_staff"),
        (State.DRAFT, State.UNDER_REVIEW, "iof_staff"),
        (State.SUBMITTED, State.RECOGNISED, "iof_staff"),
        (State.SUBMITTED, State.DECISION, "lead"),
        (State.DRAFT, State.SUBMITTED, "iof_staff"),  # only the lead submits
        (State.DECISION, State.RECOGNISED, "lead"),
        (State.RECOGNISED, State.DRAFT, "iof_staff"),
    ],
)
def test_transitions_outside_the_table_or_the_role_are_refused(
    programme, lead, iof_staff, start_application, state, to, who
):
    application = start_application(programme, lead)
    Application.objects.all_programmes().filter(pk=application.pk).update(state=state)
    actor = {"lead": lead, "iof_staff": iof_staff}[who]
    before = Transition.objects.count()
    with pytest.raises((ValidationError, PermissionDenied)):
        services.application_transition(application=application, to=to, actor=actor, reason="because")
    application.refresh_from_db()
    assert application.state == state
    assert Transition.objects.count() == before


def test_every_transition_is_recorded_and_append_only(under_review):
    from django.db import connection, transaction

    steps = [(t.from_state, t.to_state) for t in under_review.transitions.all()]
    assert steps == [("", "draft"), ("draft", "submitted"), ("submitted", "under_review")]
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE recognition_transition SET comment = 'rewritten'")


def test_a_reviewer_whose_role_is_revoked_loses_the_application(under_review, reviewers, login):
    from accounts.models import authority_change

    a = reviewers[0]
    assignment = under_review.assignments.get(reviewer=a)
    with authority_change(a):
        a.is_reviewer = False
        a.save()
    assert login(a).get(f"/recognition/reviews/{assignment.pk}/").status_code == 403


def test_iof_staff_set_a_reviewers_country_in_the_admin_and_it_is_audited(reviewers, iof_staff, login):
    reviewer = reviewers[0]
    response = login(iof_staff).post(
        f"/admin/accounts/user/{reviewer.pk}/change/",
        {"full_name": reviewer.full_name, "country": "FR", "is_active": "on"},
    )
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.country == "FR"
    (event,) = AccessEvent.objects.global_events().filter(action="account_changed", subject=reviewer)
    assert event.detail["country"] == ["IT", "FR"]
