"""The rules of the dataset (spec: dataset.md), each with its valid and its invalid side."""

from datetime import date, timedelta

import pytest

from patients import rules
from tests.patients.conftest import valid_values

TODAY = date(2026, 6, 15)
F = date(2026, 1, 10)  # the fracture date used below


def base(**overrides):
    values = dict.fromkeys(rules.COLUMNS, "")
    values.update(
        patient_ref="H1", sex="female", birth_date="1950-03-01", fracture_date=F.isoformat(), fracture_site="wrist"
    )
    values.update(overrides)
    return values


def errors_of(**overrides):
    _clean, errors = rules.clean_episode(base(**overrides), today=TODAY)
    return [(e.field, e.message) for e in errors]


def fields_with_errors(**overrides):
    return [field for field, _message in errors_of(**overrides)]


def test_a_minimal_episode_is_valid_and_blanks_mean_not_recorded():
    clean, errors = rules.clean_episode(base(), today=TODAY)
    assert errors == []
    assert (clean["fls_assessment"], clean["dxa_date"]) == ("", None)


@pytest.mark.parametrize("field", rules.REQUIRED)
def test_required_items_cannot_be_blank(field):
    assert errors_of(**{field: ""}) == [(field, f"is required: {rules.LABELS[field]} cannot be blank")]


@pytest.mark.parametrize("field", sorted(rules.ENUMS))
def test_every_enumeration_refuses_other_values(field):
    assert fields_with_errors(**{field: "maybe"}) == [field]
    assert (
        "'maybe' is not allowed here; use one of: " + ", ".join(rules.ENUMS[field])
        in errors_of(**{field: "maybe"})[0][1]
    )


def test_enumerations_are_case_insensitive_and_stored_lower_case():
    clean, errors = rules.clean_episode(
        base(sex="FEMALE", fracture_site="Hip", falls_assessment="Referred"), today=TODAY
    )
    assert errors == []
    assert (clean["sex"], clean["fracture_site"], clean["falls_assessment"]) == ("female", "hip", "referred")


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "10/01/2026", "20260110", "2026-1-10", "yesterday"])
def test_dates_must_be_real_calendar_dates_in_iso_format(bad):
    assert errors_of(identification_date=bad) == [
        ("identification_date", f"'{bad}' is not a real date; write dates as YYYY-MM-DD, e.g. 2025-03-14")
    ]


def test_a_date_after_today_is_refused_and_today_is_fine():
    assert fields_with_errors(identification_date=(TODAY + timedelta(days=1)).isoformat()) == ["identification_date"]
    assert errors_of(identification_date=TODAY.isoformat()) == []


def test_a_date_before_birth_is_refused():
    assert errors_of(fracture_date="1949-01-01") == [
        ("fracture_date", "1949-01-01 is before the date of birth (1950-03-01)")
    ]


@pytest.mark.parametrize(("birth", "valid"), [("1976-01-10", True), ("1976-01-11", False)])
def test_age_50_on_the_fracture_date_is_the_minimum(birth, valid):
    assert (errors_of(birth_date=birth) == []) is valid
    if not valid:
        assert errors_of(birth_date=birth) == [
            ("birth_date", "the patient was 49 on the fracture date; the registry is for patients aged 50 or over")
        ]


@pytest.mark.parametrize("field", [f for f in rules.PATHWAY_DATES if f != "second_followup_date"])
def test_pathway_dates_are_on_or_after_the_fracture(field):
    assert errors_of(**{field: F.isoformat()}) == []
    before = (F - timedelta(days=1)).isoformat()
    assert (field, f"{before} is before the fracture date ({F})") in errors_of(**{field: before})


@pytest.mark.parametrize("field", [f for f in rules.PATHWAY_DATES if f != "second_followup_date"])
def test_pathway_dates_are_on_or_before_death(field):
    death = F + timedelta(days=30)
    assert errors_of(death_date=death.isoformat(), **{field: death.isoformat()}) == []
    after = (death + timedelta(days=1)).isoformat()
    assert (field, f"{after} is after the date of death ({death})") in errors_of(
        death_date=death.isoformat(), **{field: after}
    )


def test_death_is_on_or_after_the_fracture():
    assert errors_of(death_date=F.isoformat()) == []
    assert errors_of(death_date="2026-01-09") == [("death_date", f"2026-01-09 is before the fracture date ({F})")]


def test_second_follow_up_is_after_the_first():
    first = "2026-04-01"
    assert errors_of(first_followup_date=first, second_followup_date="2026-04-02") == []
    assert errors_of(first_followup_date=first, second_followup_date=first) == [
        ("second_followup_date", f"{first} must be after the first follow-up ({first})")
    ]


@pytest.mark.parametrize(("status", "date_field"), sorted(rules.STATUS_DATES.items()))
def test_a_date_with_a_blank_status_implies_yes(status, date_field):
    clean, errors = rules.clean_episode(base(**{date_field: "2026-02-01"}), today=TODAY)
    assert errors == []
    assert clean[status] == "yes"


@pytest.mark.parametrize(("status", "date_field"), sorted(rules.STATUS_DATES.items()))
def test_a_date_with_status_no_is_refused(status, date_field):
    assert errors_of(**{status: "no", date_field: "2026-02-01"}) == [
        (date_field, f"a date is given but {status} is 'no': clear the date or change {status} to yes")
    ]


@pytest.mark.parametrize(("status", "date_field"), sorted(rules.STATUS_DATES.items()))
def test_status_yes_needs_its_date(status, date_field):
    assert errors_of(**{status: "yes"}) == [(date_field, f"is required because {status} is yes")]


def test_dxa_not_required_takes_no_date():
    assert errors_of(dxa="not_required") == []
    assert fields_with_errors(dxa="not_required", dxa_date="2026-02-01") == ["dxa_date"]


def test_spine_detection_is_required_for_spine_and_only_there():
    assert errors_of(fracture_site="spine") == [
        ("spine_detection", "is required for a spine fracture: clinical or radiological")
    ]
    assert errors_of(fracture_site="spine", spine_detection="radiological") == []
    assert errors_of(spine_detection="clinical") == [
        ("spine_detection", "is only for spine fractures, but the fracture site is wrist")
    ]


def test_aom_drug_only_when_medication_is_recommended():
    assert errors_of(aom_recommended="yes", aom_drug="denosumab") == []
    assert errors_of(aom_drug="denosumab") == [("aom_drug", "is only recorded when aom_recommended is yes")]
    assert errors_of(aom_recommended="no", aom_drug="denosumab") == [
        ("aom_drug", "is only recorded when aom_recommended is yes")
    ]


def test_patient_ref_is_1_to_64_characters():
    assert errors_of(patient_ref="X" * 64) == []
    assert errors_of(patient_ref="X" * 65) == [("patient_ref", "is 65 characters long; at most 64 are allowed")]


def test_several_problems_are_all_reported():
    assert sorted(fields_with_errors(sex="", fracture_site="knee", dxa="yes")) == ["dxa_date", "fracture_site", "sex"]


def test_the_fixture_episode_is_valid():
    _clean, errors = rules.clean_episode(valid_values(), today=date.today())
    assert errors == []
