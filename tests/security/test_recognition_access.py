"""Recognition pages outside a programme: each person reaches exactly what was granted.

Reviewers act only through their assignment; they never reach a patient row, page or API route,
not even of the programme whose application they review.
"""

import pytest

from tests.recognition.conftest import answer_everything
from tests.security.test_tenancy import ROUTES, Walk, fill


@pytest.fixture
def review(programme, lead, reviewers, iof_staff, start_application):
    from recognition import services

    application = start_application(programme, lead)
    answer_everything(application, lead)
    services.application_submit(application=application, actor=lead)
    for reviewer in reviewers:
        services.reviewer_assign(application=application, reviewer=reviewer, actor=iof_staff)
    return application


def test_an_assigned_reviewer_reaches_no_programme_page_or_api_route(review, reviewers, login):
    walk = Walk(login(reviewers[0]))
    for route, _name in ROUTES:
        for method in ("get", "post"):
            walk.check(method, fill(route, review.programme.slug), 404)
    walk.assert_clean()


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
    refused = [(login(person), status) for person, status in ((reviewers[1], 404), (lead, 403), (iof_staff, 403))]
    refused.append((login(UserFactory(is_reviewer=True)), 404))
    walk = Walk(None)
    for walk.client, status in refused:
        walk.check("get", url, status)
        walk.check("post", url, status, data={"score-1-hip": "3"})
    walk.assert_clean()


@pytest.mark.parametrize("url", ["/recognition/staff/", "/recognition/staff/{id}/"])
def test_iof_staff_desk_is_refused_to_everyone_else(url, review, reviewers, lead, iof_staff, login):
    url = url.format(id=review.pk)
    assert login(iof_staff).get(url).status_code == 200
    walk = Walk(None)
    for walk.client in (login(reviewers[0]), login(lead)):
        walk.check("get", url, 403)
        walk.check("post", url, 403, data={"action": "decide"})
    walk.client = login(None)
    walk.check("get", url, 302)
    walk.assert_clean()


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
