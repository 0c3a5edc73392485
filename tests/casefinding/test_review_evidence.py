"""Reviewers see each application's case-finding counts for its months beside the identification
standards, never a patient."""

from datetime import date

import pytest

from casefinding.models import MonthlyCount
from tests.recognition.conftest import submitted, under_review  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_a_reviewer_sees_the_counts_of_the_applications_months(under_review, reviewers, login):  # noqa: F811
    application = under_review
    inside = application.period_start.replace(day=1)
    outside = date(application.period_start.year - 2, 1, 1)
    for month, kind, reason, count in [
        (inside, "read", "", 812),
        (inside, "candidate", "spine_radiological", 9),
        (inside, "candidate", "hip", 14),
        (inside, "accepted", "", 19),
        (inside, "dismissed", "deceased", 2),
        (outside, "read", "", 5000),
    ]:
        MonthlyCount.objects.create(programme=application.programme, month=month, kind=kind, reason=reason, count=count)
    assignment = application.assignments.get(reviewer=reviewers[0])
    page = login(reviewers[0]).get(f"/recognition/reviews/{assignment.pk}/").content.decode()
    assert page.count("812 hospital records read, 23 candidates proposed, 19 accepted as episodes, 2 dismissed.") == 2
    assert "9 spine fractures found in imaging reports." in page
    assert "deceased 2" in page
    assert "5000" not in page and "5,000" not in page
