"""Recognition pages outside a programme: each person reaches exactly what was granted.

Reviewers act only through their assignment; they never reach a patient row, page or API route,
not even of the programme whose application they review.
"""

import pytest

from tests.recognition.conftest import answer_everything
from tests.security.test_tenancy import ROUTES, fill, row_counts


@pytest.fixture
def review(programme, lead, reviewers, iof_staff, start_application):
    from recognition import services

    application = start_application(programme, lead)
    answer_everything(application, lead)
    services.application_submit(application=application, actor=lead)
    for reviewer in reviewers:
        services.reviewer_assign(application=application, reviewer=reviewer, actor=iof_staff)
    return application


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _r, name in ROUTES])
def test_an_assigned_reviewer_reaches_no_programme_page_or_api_route(route, name, method, review, reviewers, login):
    url = fill(route, review.programme.slug)
    before = row_counts()
    response = getattr(login(reviewers[0]), method)(url)
    assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
    assert row_counts() == before


def test_the_reviewer_queue_lists_only_their_assignments(review, reviewers, login, other_programme):
    a = reviewers[0]
    page = login(a).get("/recognition/reviews/").content.decode()
    assert review.programme.name in page
    assert login(None).get("/recognition/reviews/").status_code == 302


@pytest.mark.parametrize("who", ["lead", "coordinator", "viewer", "plain"])
def test_people_without_the_reviewer_role_have_no_queue(who, review, lead, coordinator, viewer, login):
    from tests.factories import UserFactory

    person = {"lead": lead, "coordinator": coordinator, "viewer": viewer, "plain": UserFactory()}[who]
    assert login(person).get("/recognition/reviews/").status_code == 403


def test_a_review_page_is_the_assigned_reviewers_alone(review, reviewers, lead, iof_staff, login):
    from tests.factories import UserFactory

    assignment = review.assignments.get(reviewer=reviewers[0])
    url = f"/recognition/reviews/{assignment.pk}/"
    assert login(reviewers[0]).get(url).status_code == 200
    other_reviewer = UserFactory(is_reviewer=True)
    before = row_counts()
    for refused, status in ((reviewers[1], 404), (other_reviewer, 404), (lead, 403), (iof_staff, 403)):
        assert login(refused).get(url).status_code == status
        assert login(refused).post(url, {"score-1-hip": "3"}).status_code == status
    assert row_counts() == before


@pytest.mark.parametrize("url", ["/recognition/staff/", "/recognition/staff/{id}/"])
def test_iof_staff_desk_is_refused_to_everyone_else(url, review, reviewers, lead, iof_staff, login):
    url = url.format(id=review.pk)
    assert login(iof_staff).get(url).status_code == 200
    before = row_counts()
    for refused in (reviewers[0], lead):
        assert login(refused).get(url).status_code == 403
        assert login(refused).post(url, {"action": "decide"}).status_code == 403
    assert login(None).get(url).status_code == 302
    assert row_counts() == before


def test_a_programme_lead_cannot_reach_another_programmes_application_anywhere(
    review, other_programme, make_member, login
):
    outsider = make_member(other_programme, "lead")
    client = login(outsider)
    slug = review.programme.slug
    for url in (
        f"/p/{slug}/recognition/{review.pk}/",
        f"/p/{other_programme.slug}/recognition/{review.pk}/",
        f"/p/{other_programme.slug}/recognition/{review.pk}/self-assessment/",
    ):
        assert client.get(url).status_code == 404, url
