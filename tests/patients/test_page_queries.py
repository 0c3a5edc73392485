"""The episode list and the worklist keep their query counts (bench/list_bench.py measures their
speed; these tests hold the number of round trips, whatever the page, filter or sort)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from patients.importer import episodes_import
from patients.models import Episode
from patients.synthetic import synthetic_cohort
from programmes.rls import programme_scope

# Counted as a server counts them: a test's request runs inside the test's transaction, where it
# reads the scope and puts it back (two queries) instead of BEGIN and COMMIT (two statements).
EPISODE_LIST_QUERIES = 10  # the target: at most ten a page (9 today)
WORKLIST_QUERIES = 12


@pytest.fixture
def busy_programme(programme):
    today = timezone.localdate()
    rows = synthetic_cohort(count=260, start=today - timedelta(days=700), end=today, today=today, seed=5, prefix="Q")
    episodes_import(programme=programme, rows=((n + 2, row, []) for n, row in enumerate(rows)), source="test")
    return programme


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "Q00012"},
        {"q": "q0001"},
        {"status": "not_assessed"},
        {"status": "followup_overdue"},
        {"site": "hip", "sort": "patient_ref"},
        {"sort": "-patient_ref", "page": "2"},
        {"page": "3"},
        {"per_page": "200"},
    ],
)
def test_an_episode_list_page_takes_at_most_ten_queries(
    busy_programme, coordinator, login, django_assert_max_num_queries, query
):
    client = login(coordinator)
    url = f"/p/{busy_programme.slug}/episodes/"
    client.get(url, query)  # the session's first request settles what it stores
    with django_assert_max_num_queries(EPISODE_LIST_QUERIES):
        response = client.get(url, query)
    assert response.status_code == 200
    assert response.context["page"].object_list or query.get("q") or query.get("status")


@pytest.mark.parametrize("query", [{}, {"page": "2"}, {"per_page": "200"}, {"group": "overdue"}])
def test_a_worklist_page_keeps_its_query_count(
    busy_programme, coordinator, login, django_assert_max_num_queries, query
):
    client = login(coordinator)
    url = f"/p/{busy_programme.slug}/worklist/"
    client.get(url, query)
    with django_assert_max_num_queries(WORKLIST_QUERIES):
        response = client.get(url, query)
    assert response.status_code == 200


def test_the_page_shows_the_rows_of_its_ids_in_their_order(busy_programme, coordinator, login):
    client = login(coordinator)
    response = client.get(f"/p/{busy_programme.slug}/episodes/", {"sort": "patient_ref", "page": "2"})
    shown = [(e.patient.patient_ref, e.fracture_date) for e in response.context["page"].object_list]
    with programme_scope(busy_programme.pk):
        expected = list(
            Episode.objects.for_programme(busy_programme)
            .order_by("patient__patient_ref", "fracture_date")
            .values_list("patient__patient_ref", "fracture_date")[50:100]
        )
    assert shown == expected
    assert response.context["page"].paginator.count == 260


def test_a_reference_search_is_a_prefix_as_typed_or_in_capitals(programme, coordinator, login):
    today = timezone.localdate()
    rows = []
    for n, ref in enumerate(["AB1", "AB2", "AC1", "ab3", "AB", "AA9", "ABZZ"]):
        row = next(synthetic_cohort(count=1, start=today - timedelta(days=30), end=today, today=today, seed=n))
        rows.append({**row, "patient_ref": ref})
    episodes_import(programme=programme, rows=((n + 2, row, []) for n, row in enumerate(rows)), source="test")
    client = login(coordinator)

    def found(text):
        page = client.get(f"/p/{programme.slug}/episodes/", {"q": text}).context["page"]
        return sorted(e.patient.patient_ref for e in page.object_list)

    assert found("AB") == ["AB", "AB1", "AB2", "ABZZ"]
    assert found("ab") == ["AB", "AB1", "AB2", "ABZZ", "ab3"]
    assert found("ABZ") == ["ABZZ"]
    assert found("A") == ["AA9", "AB", "AB1", "AB2", "ABZZ", "AC1"]
    assert found("ZZ") == []
