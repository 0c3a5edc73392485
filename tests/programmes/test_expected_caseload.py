import pytest
from django.core.management import CommandError, call_command

from programmes.models import AccessEvent, ExpectedCaseload
from programmes.rls import programme_scope


def test_command_sets_then_updates_the_caseload_of_a_year(programme):
    call_command("set_expected_caseload", programme.slug, "2025", "--non-spine", "820", "--spine", "190")
    call_command("set_expected_caseload", programme.slug, "2025", "--non-spine", "840", "--spine", "200")
    caseload = ExpectedCaseload.objects.for_programme(programme).get()
    assert (caseload.year, caseload.non_spine, caseload.spine) == (2025, 840, 200)
    programme.refresh_from_db()
    assert programme.data_changed_at is not None
    with programme_scope(programme.pk):
        assert AccessEvent.objects.for_programme(programme).filter(action="caseload_set").count() == 2


def test_unknown_programme_is_an_error(db):
    with pytest.raises(CommandError, match="no programme with slug 'nowhere'"):
        call_command("set_expected_caseload", "nowhere", "2025", "--non-spine", "1", "--spine", "1")


def test_negative_counts_are_refused_and_nothing_is_stored(programme):
    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("set_expected_caseload", programme.slug, "2025", "--non-spine", "-5", "--spine", "1")
    assert not ExpectedCaseload.objects.for_programme(programme).exists()


def test_lead_sets_the_caseload_in_the_settings_page(programme, lead, login):
    response = login(lead).post(
        f"/p/{programme.slug}/settings/", {"save_caseload": "1", "year": "2026", "non_spine": "700", "spine": "150"}
    )
    assert response.status_code == 302
    assert ExpectedCaseload.objects.for_programme(programme).get(year=2026).non_spine == 700


def test_settings_page_explains_a_bad_year(programme, lead, login):
    response = login(lead).post(
        f"/p/{programme.slug}/settings/", {"save_caseload": "1", "year": "1850", "non_spine": "700", "spine": "150"}
    )
    assert response.status_code == 400
    assert "greater than or equal to 1990" in response.content.decode()
    assert not ExpectedCaseload.objects.for_programme(programme).exists()


def test_caseloads_of_two_programmes_are_separate(programme, other_programme):
    call_command("set_expected_caseload", programme.slug, "2025", "--non-spine", "10", "--spine", "2")
    call_command("set_expected_caseload", other_programme.slug, "2025", "--non-spine", "99", "--spine", "9")
    assert ExpectedCaseload.objects.for_programme(programme).get().non_spine == 10
    assert ExpectedCaseload.objects.for_programme(other_programme).get().non_spine == 99
