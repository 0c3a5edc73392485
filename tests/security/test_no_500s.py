"""Inputs a hostile or careless person sends that once answered 500: each is now a 400 (or the
form's error) that says what and where, and nothing is stored."""

import ast
from pathlib import Path

import pytest

from tests.recognition import conftest as recognition_fixtures

submitted = recognition_fixtures.submitted  # a fixture of tests/recognition, used here too

ROOT = Path(__file__).resolve().parents[2]


def test_a_twelve_month_period_from_year_9999_is_the_forms_error(programme, lead, login, catalogue):
    from recognition.models import Application

    response = login(lead).post(f"/p/{programme.slug}/recognition/", {"period_start": "9999-12"})
    assert response.status_code == 400
    assert "must be between 1900-01-01 and" in response.content.decode()
    assert not Application.objects.for_programme(programme).exists()


@pytest.mark.parametrize("value", ["abc", "", "-1", "99999999999999999999"])
def test_a_resource_that_is_not_a_number_on_the_library_desk(iof_staff, login, value):
    response = login(iof_staff).post("/network/staff/resources/", {"resource": value, "to": "published"})
    assert response.status_code == 400
    assert "resource" in response.content.decode()


def test_an_assignment_that_is_not_a_number_on_the_staff_application_page(submitted, iof_staff, login, every_programme):
    response = login(iof_staff).post(f"/recognition/staff/{submitted.pk}/", {"action": "unassign", "assignment": "abc"})
    assert response.status_code == 400
    assert "assignment" in response.content.decode()


def test_a_training_day_in_year_9999_is_refused(champion, mentor, login):
    from mentorship.models import TrainingDay

    response = login(mentor).post(
        f"/p/{champion.slug}/mentorship/days/new/",
        {
            "date": "9999-12-31",
            "seats": "3",
            "language": "ru",
            "booking_deadline": "9999-12-30",
            "address": "Ward 3",
            "agenda": "Morning round",
        },
    )
    assert response.status_code == 400
    assert "must be between 1900-01-01 and" in response.content.decode()
    assert TrainingDay.objects.for_programme(champion).count() == 0


def test_the_service_refuses_a_day_beyond_the_range_too(champion, mentor):
    from datetime import date

    from django.core.exceptions import ValidationError

    from mentorship import services

    with pytest.raises(ValidationError) as refused:
        services.training_day_create(
            programme=champion,
            actor=mentor,
            date=date(9999, 12, 31),
            seats=3,
            language="ru",
            booking_deadline=date(9999, 12, 1),
            address="Ward 3",
            agenda="",
        )
    assert set(refused.value.message_dict) == {"date", "booking_deadline"}


def test_an_as_of_in_year_9999_is_a_400_on_the_api(programme, coordinator, login):
    response = login(coordinator).get(
        f"/api/v1/programmes/{programme.slug}/kpis/?start=2025-01-01&end=2025-12-31&as_of=9999-12-31"
    )
    assert response.status_code == 400
    assert "as_of" in response.json()


def test_no_view_looks_up_an_object_by_a_raw_request_value():
    """``get_object_or_404(Model, pk=request.POST[...])`` is a 500 on "abc": ids go through ``int_param``."""
    found = []
    for path in ROOT.glob("*/views.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "get_object_or_404":
                for keyword in node.keywords:
                    source = ast.unparse(keyword.value)
                    if source.startswith(("request.POST", "request.GET")):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
