"""Every role clicks through everything it can reach: no page answers with a server error.

A crawler logs in as each kind of person (lead, coordinator, viewer of a programme; IOF staff;
a system administrator; a reviewer), follows every link of every page it is shown, once per shape
of address (``/p/x/episodes/12/`` and ``/p/x/episodes/13/`` are one shape), and fails on any 5xx.
New pages are crawled the day they are linked.
"""

import re

import pytest

from kpis import services as kpi_services
from programmes import services
from tests.factories import UserFactory

LINK = re.compile(r'href="(/[^"#]*)"')
SKIP = ("logout", "/static/", "/delete/", ".csv", "/pdf/", "/api/schema", "/api/docs")
ROOTS = (
    "/p/",
    "/admin/",
    "/staff/",
    "/accounts/profile",
    "/api/v1/",
    "/map/",
    "/programmes/",
    "/resources/",
    "/network/",
)
MAX_PAGES = 150


def shape(url: str) -> str:
    return re.sub(r"\d+", "N", url.split("?")[0]) + ("?" if "?" in url else "")


def crawl(client) -> tuple[int, list[tuple[str, int]]]:
    seen_shapes, todo, errors, visited = set(), ["/"], [], 0
    while todo and visited < MAX_PAGES:
        url = todo.pop(0)
        if shape(url) in seen_shapes or any(part in url for part in SKIP):
            continue
        seen_shapes.add(shape(url))
        visited += 1
        response = client.get(url)
        if response.status_code >= 500:
            errors.append((url, response.status_code))
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            for link in LINK.findall(response.content.decode()):
                link = link.replace("&amp;", "&")
                if link.startswith(ROOTS) and shape(link) not in seen_shapes:
                    todo.append(link)
    return visited, errors


@pytest.fixture
def world(programme, other_programme, lead, coordinator, viewer, iof_staff, make_episode, make_member):
    """Two programmes with episodes, figures, a report, invitations, caseloads and log rows."""
    from datetime import date

    for target, member in ((programme, coordinator), (other_programme, make_member(other_programme, "lead"))):
        make_episode(target, member, patient_ref=f"CRAWL-{target.pk}")
        services.expected_caseload_set(programme=target, year=2026, non_spine=100, spine=20)
    services.invitation_create(actor=lead, programme=programme, email="new@x.example", role="viewer")
    services.invitation_create(actor=iof_staff, email="reviewer-to-be@x.example", role="reviewer")
    kpi_services.results_recompute()
    kpi_services.report_request(
        programme=programme, actor=coordinator, start=date(2025, 1, 1), end=date(2025, 12, 31), as_of=date(2026, 1, 1)
    )
    return programme


@pytest.mark.parametrize("who", ["lead", "coordinator", "viewer", "iof_staff", "superuser", "reviewer"])
def test_no_page_reachable_by_a_role_answers_a_server_error(world, who, request, login):
    people = {
        "superuser": lambda: UserFactory(is_superuser=True),
        "reviewer": lambda: UserFactory(is_reviewer=True),
    }
    person = people[who]() if who in people else request.getfixturevalue(who)
    client = login(person)
    client.raise_request_exception = False
    visited, errors = crawl(client)
    assert errors == []
    assert visited >= 2
