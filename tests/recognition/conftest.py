from datetime import date

import pytest

from recognition import services


def last_full_year_start() -> date:
    return services.latest_period_start()


def answer_everything(application, lead, claimed=2):
    inputs = [
        services.AnswerInput(
            standard=s.number, domain=d, text=f"We do {s.name.lower()}.", claimed_score=claimed, version=0
        )
        for s, d in application.pairs()
        if s.is_organisational
    ]
    services.answers_save(application=application, actor=lead, answers=inputs)


@pytest.fixture
def submitted(programme, lead, start_application):
    application = start_application(programme, lead)
    answer_everything(application, lead)
    return services.application_submit(application=application, actor=lead)


@pytest.fixture
def under_review(submitted, reviewers, iof_staff):
    for reviewer in reviewers:
        services.reviewer_assign(application=submitted, reviewer=reviewer, actor=iof_staff)
    submitted.refresh_from_db()
    return submitted


def score_all(application, reviewer, score_for):
    assignment = application.assignments.get(reviewer=reviewer)
    for standard, domain in application.pairs():
        services.score_save(
            assignment=assignment,
            actor=reviewer,
            standard=standard.number,
            domain=domain,
            score=score_for(standard, domain),
            comment="Reason given.",
        )
    return services.review_submit(assignment=assignment, actor=reviewer)
