"""Demo recognition cycle for `make run`, through the services. Idempotent: a programme that
already has an application is left as it is.

- Milano: recognised gold; Sheffield: recognised silver, with its certificate;
- Lyon: under review, the second demo reviewer done, reviewer@demo.fls still to score;
- Taipei: changes requested by IOF staff;
- Yaroslavl: recognised silver (so it can mentor as a champion), with a draft for its lead to
  complete that aims at gold.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from programmes.models import Programme
from recognition import services
from recognition.models import Application, Recognition
from recognition.scoring import DOMAINS

REVIEWERS = [("reviewer@demo.fls", "CH"), ("reviewer2@demo.fls", "ES")]
ANSWERS = {
    5: "We follow the national osteoporosis guideline; our protocol is reviewed every year.",
    6: "Calcium, vitamin D, renal and thyroid tests for every patient before treatment.",
    8: "Smoking, alcohol, nutrition and activity are asked at the FLS visit; advice leaflet given.",
    11: "A letter with the plan goes to the GP and the patient within a week of the visit.",
}


def _users():
    User = get_user_model()
    staff = User.objects.get(email="staff@demo.fls")
    reviewers = []
    for email, country in REVIEWERS:  # granted the reviewer role by programmes.demo
        user = User.objects.get(email=email)
        if user.country != country:
            user.country = country
            user.save(update_fields=["country"])
        reviewers.append(user)
    return staff, reviewers


def lead_of(programme):
    return programme.memberships.filter(role="lead").select_related("user").first().user


def _draft(programme, domains, claimed=2):
    lead = lead_of(programme)
    application = services.application_start(
        programme=programme, actor=lead, period_start=services.latest_period_start(), domains=list(domains)
    )
    answers = [
        services.AnswerInput(
            standard=standard.number,
            domain=domain,
            text=ANSWERS.get(standard.number, "Recorded in the registry for every patient."),
            claimed_score=claimed,
            version=0,
        )
        for standard, domain in application.pairs()
        if standard.is_organisational
    ]
    services.answers_save(application=application, actor=lead, answers=answers)
    return application, lead


def _review(application, reviewer, score):
    assignment = application.assignments.get(reviewer=reviewer)
    for standard, domain in application.pairs():
        services.score_save(
            assignment=assignment,
            actor=reviewer,
            standard=standard.number,
            domain=domain,
            score=score,
            comment="Consistent with the frozen figures and the programme's answers.",
        )
    services.review_submit(assignment=assignment, actor=reviewer)


def _submitted_with_reviewers(programme, domains, staff, reviewers, claimed=2):
    application, lead = _draft(programme, domains, claimed)
    application = services.application_submit(application=application, actor=lead)
    for reviewer in reviewers:
        services.reviewer_assign(application=application, reviewer=reviewer, actor=staff)
    application.refresh_from_db()
    return application


@transaction.atomic
def load() -> list[str]:
    staff, (reviewer, reviewer2) = _users()
    programmes = {p.slug: p for p in Programme.objects.all()}
    done = []
    plan = {
        "milano-niguarda": "gold",
        "sheffield-nhs": "silver",
        "lyon-sud": "under_review",
        "taipei-ntuh": "changes_requested",
        "yaroslavl-rech": "silver_then_draft",
    }
    for slug, outcome in plan.items():
        programme = programmes.get(slug)
        if programme is None or Application.objects.for_programme(programme).exists():
            continue
        if outcome in ("gold", "silver", "silver_then_draft"):
            application = _submitted_with_reviewers(programme, DOMAINS, staff, [reviewer, reviewer2], claimed=3)
            for person in (reviewer, reviewer2):
                _review(application, person, 3 if outcome == "gold" else 2)
            services.application_decide(application=application, actor=staff, comment="Confirmed by IOF staff.")
            if outcome == "silver_then_draft" and Recognition.objects.for_programme(programme).exists():
                _draft(programme, ["hip", "outpatient", "organisation"])
        elif outcome == "under_review":
            application = _submitted_with_reviewers(
                programme, ["hip", "inpatient", "organisation"], staff, [reviewer, reviewer2]
            )
            _review(application, reviewer2, 2)
        elif outcome == "changes_requested":
            application = _submitted_with_reviewers(
                programme, ["outpatient", "vertebral", "organisation"], staff, [reviewer, reviewer2]
            )
            _review(application, reviewer2, 1)
            services.changes_request(
                application=application,
                actor=staff,
                comment="Please describe how vertebral fractures are found on imaging reports, and attach your protocol.",
            )
        done.append(f"{slug}: {outcome}")
    return done
