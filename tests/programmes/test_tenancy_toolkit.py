import pytest
from django.http import Http404

from programmes.models import ExpectedCaseload
from programmes.tenancy import UnscopedQueryError, get_owned_or_404, resolve_programme_access


@pytest.fixture
def caseloads(programme, other_programme):
    ExpectedCaseload.objects.create(programme=programme, year=2025, non_spine=10, spine=2)
    ExpectedCaseload.objects.create(programme=other_programme, year=2025, non_spine=99, spine=9)


@pytest.mark.parametrize(
    "read",
    [
        lambda qs: list(qs),
        lambda qs: qs.count(),
        lambda qs: qs.exists(),
        lambda qs: qs.first(),
        lambda qs: list(qs.values_list("year")),
        lambda qs: qs.filter(year=2025).update(spine=0),
        lambda qs: qs.delete(),
        lambda qs: list(qs.iterator()),
        lambda qs: qs.get(year=2025),
    ],
)
def test_rows_asked_for_without_a_programme_fail_instead_of_returning_all(caseloads, read):
    with pytest.raises(UnscopedQueryError):
        read(ExpectedCaseload.objects.all())
    assert ExpectedCaseload._base_manager.filter(spine=0).count() == 0


def test_scoped_query_returns_only_that_programme(caseloads, programme):
    assert list(ExpectedCaseload.objects.for_programme(programme).values_list("non_spine", flat=True)) == [10]
    assert list(ExpectedCaseload.objects.filter(programme=programme).values_list("non_spine", flat=True)) == [10]


def test_excluding_a_programme_is_not_a_scope(caseloads, programme):
    with pytest.raises(UnscopedQueryError):
        list(ExpectedCaseload.objects.exclude(programme=programme))


def test_explicit_cross_programme_read_is_allowed(caseloads):
    assert ExpectedCaseload.objects.all_programmes().count() == 2


def test_another_programmes_row_answers_the_same_404_as_a_missing_one(caseloads, programme, other_programme):
    theirs = ExpectedCaseload.objects.for_programme(other_programme).get()
    with pytest.raises(Http404):
        get_owned_or_404(ExpectedCaseload, programme, pk=theirs.pk)
    with pytest.raises(Http404):
        get_owned_or_404(ExpectedCaseload, programme, pk=10**9)
    assert get_owned_or_404(ExpectedCaseload, other_programme, pk=theirs.pk) == theirs


def test_access_resolves_role_and_hides_other_programmes(programme, other_programme, lead):
    assert resolve_programme_access(lead, programme.slug).role == "lead"
    with pytest.raises(Http404):
        resolve_programme_access(lead, other_programme.slug)
    with pytest.raises(Http404):
        resolve_programme_access(lead, "does-not-exist")


def test_a_deactivated_user_has_no_access(programme, lead, iof_staff):
    from programmes.services import account_set_active

    account_set_active(actor=iof_staff, user=lead, active=False)
    lead.refresh_from_db()
    with pytest.raises(Http404):
        resolve_programme_access(lead, programme.slug)


def test_an_empty_queryset_needs_no_programme(db):
    from programmes.models import ExpectedCaseload

    assert list(ExpectedCaseload.objects.none()) == []
    assert ExpectedCaseload.objects.none().count() == 0
