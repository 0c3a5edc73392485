"""The rules of kpis.md, each on both sides of its edge, through the real engine and PostgreSQL."""

import io
import json
import random
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from kpis.engine import Period, compute, compute_for_programme, expected_for_period
from kpis.reference import reference_kpis
from patients.models import Episode, Patient
from patients.synthetic import synthetic_cohort
from programmes.models import ExpectedCaseload
from programmes.rls import programme_scope

F = date(2025, 3, 1)
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
LATE = date(2026, 11, 1)  # every window closed


def add(programme, ref="P1", **values):
    """Arrange one episode (rows written directly, under the programme's own scope)."""
    with programme_scope(programme.pk):
        patient, _ = Patient.objects.all_programmes().get_or_create(
            programme=programme, patient_ref=ref, defaults={"sex": "female", "birth_date": date(1950, 1, 1)}
        )
        fields = {"fracture_date": F, "fracture_site": "wrist", **values}
        return Episode.objects.create(programme=programme, patient=patient, **fields)


def kpi(programme, code, as_of=LATE, start=YEAR[0], end=YEAR[1], kpi_set=None):
    result = compute_for_programme(programme, start=start, end=end, as_of=as_of, kpi_set=kpi_set)
    return next(k for k in result["kpis"] if k["code"] == code)


def counts(programme, code, **kwargs):
    k = kpi(programme, code, **kwargs)
    return (k["numerator"], k["denominator"], k["pending"])


@pytest.mark.parametrize(("day", "met"), [(84, True), (85, False)])
def test_fls_assessment_on_day_84_meets_kpi3_and_day_85_does_not(programme, day, met):
    add(programme, fls_assessment="yes", fls_assessment_date=F + timedelta(days=day))
    assert counts(programme, "KPI3") == (int(met), 1, 0)


@pytest.mark.parametrize(("day", "met"), [(84, True), (85, False)])
def test_dxa_on_day_84_meets_kpi4_and_day_85_does_not(programme, day, met):
    add(programme, dxa="yes", dxa_date=F + timedelta(days=day))
    assert counts(programme, "KPI4") == (int(met), 1, 0)


@pytest.mark.parametrize(("days_after", "state"), [(83, "pending"), (84, "mature")])
def test_an_episode_is_mature_for_84_days_on_day_84(programme, days_after, state):
    add(programme)
    as_of = F + timedelta(days=days_after)
    assert counts(programme, "KPI3", as_of=as_of) == ((0, 0, 1) if state == "pending" else (0, 1, 0))


@pytest.mark.parametrize(("day", "met"), [(112, True), (113, False)])
def test_first_follow_up_on_day_112_meets_kpi7_and_day_113_does_not(programme, day, met):
    add(programme, first_followup_date=F + timedelta(days=day))
    assert counts(programme, "KPI7") == (int(met), 1, 0)


@pytest.mark.parametrize(("day", "met"), [(112, True), (113, False)])
def test_medication_started_on_day_112_meets_kpi8(programme, day, met):
    add(programme, aom_recommended="yes", aom_started="yes", aom_started_date=F + timedelta(days=day))
    assert counts(programme, "KPI8") == (int(met), 1, 0)


@pytest.mark.parametrize(("day", "met"), [(112, True), (113, False)])
def test_strength_and_balance_on_day_112_meets_kpi9(programme, day, met):
    add(programme, sb_started="yes", sb_started_date=F + timedelta(days=day))
    assert counts(programme, "KPI9") == (int(met), 1, 0)


@pytest.mark.parametrize(("days_after", "expected"), [(363, (0, 0, 1)), (364, (1, 1, 0))])
def test_kpi10_matures_on_day_364(programme, days_after, expected):
    add(programme, aom_recommended="yes", aom_started="yes", aom_started_date=F + timedelta(days=10), aom_at_52w="yes")
    assert counts(programme, "KPI10", as_of=F + timedelta(days=days_after)) == expected


@pytest.mark.parametrize(("code", "window"), [("KPI3", 84), ("KPI7", 112)])
def test_death_on_the_windows_last_day_without_the_event_leaves_the_denominator(programme, code, window):
    add(programme, ref="A", death_date=F + timedelta(days=window))
    add(programme, ref="B", death_date=F + timedelta(days=window + 1))
    assert counts(programme, code) == (0, 1, 0)


def test_death_in_the_window_after_the_event_still_counts_as_met(programme):
    add(programme, fls_assessment="yes", fls_assessment_date=F + timedelta(days=5), death_date=F + timedelta(days=30))
    assert counts(programme, "KPI3") == (1, 1, 0)


def test_kpi10_leaves_out_any_death_within_364_days_even_with_medication(programme):
    started = {"aom_recommended": "yes", "aom_started": "yes", "aom_started_date": F + timedelta(days=10)}
    add(programme, ref="A", aom_at_52w="yes", death_date=F + timedelta(days=364), **started)
    add(programme, ref="B", aom_at_52w="yes", death_date=F + timedelta(days=365), **started)
    add(programme, ref="C", aom_at_52w="no", **started)
    add(programme, ref="D")  # medication never started: not in KPI10's population
    assert counts(programme, "KPI10") == (1, 2, 0)


def test_dxa_not_required_leaves_kpi4_but_counts_elsewhere(programme):
    add(programme, ref="A", dxa="not_required")
    add(programme, ref="B", dxa="no")
    assert counts(programme, "KPI4") == (0, 1, 0)
    assert counts(programme, "KPI3") == (0, 2, 0)


def test_kpi8_concerns_episodes_with_medication_recommended_and_kpi9_non_hip(programme):
    add(programme, ref="A", fracture_site="hip", aom_recommended="no", sb_started="yes", sb_started_date=F)
    add(programme, ref="B", aom_recommended="yes", sb_started="no")
    assert counts(programme, "KPI8") == (0, 1, 0)
    assert counts(programme, "KPI9") == (0, 1, 0)


def test_blank_is_not_met_and_not_excluded(programme):
    add(programme)
    for code in ("KPI3", "KPI4", "KPI5", "KPI6", "KPI7", "KPI9", "KPI11"):
        assert counts(programme, code) == (0, 1, 0), code


def test_kpi5_counts_referrals_and_kpi6_recommendations(programme):
    add(programme, ref="A", falls_assessment="referred", aom_recommended="yes")
    add(programme, ref="B", falls_assessment="no", aom_recommended="no")
    assert counts(programme, "KPI5") == (1, 2, 0)
    assert counts(programme, "KPI6") == (1, 2, 0)


COMPLETE = {"fls_assessment": "no", "dxa": "no", "falls_assessment": "no", "aom_recommended": "no"}


@pytest.mark.parametrize(
    ("extra", "as_of_day", "complete"),
    [
        ({}, 111, True),  # not mature for 112 days: the four items suffice
        ({}, 112, False),  # mature: follow-up items now required
        ({"death_date": F + timedelta(days=112)}, 200, True),  # dead by day 112: not required
        ({"first_followup_date": F + timedelta(days=100), "aom_started": "no", "sb_started": "no"}, 400, True),
        (
            {
                "first_followup_date": F + timedelta(days=100),
                "aom_started": "yes",
                "aom_started_date": F + timedelta(days=20),
                "sb_started": "no",
            },
            364,
            False,
        ),  # medication started and mature for 364: 52-week items required
        (
            {
                "first_followup_date": F + timedelta(days=100),
                "aom_started": "yes",
                "aom_started_date": F + timedelta(days=20),
                "sb_started": "no",
            },
            363,
            True,
        ),
        (
            {
                "first_followup_date": F + timedelta(days=100),
                "aom_started": "yes",
                "aom_started_date": F + timedelta(days=20),
                "sb_started": "no",
                "second_followup_date": F + timedelta(days=360),
                "aom_at_52w": "no",
            },
            400,
            True,
        ),
    ],
)
def test_kpi11_required_items(programme, extra, as_of_day, complete):
    add(programme, **{**COMPLETE, **extra})
    assert counts(programme, "KPI11", as_of=F + timedelta(days=as_of_day)) == (int(complete), 1, 0)


def test_the_period_is_inclusive_and_by_fracture_date(programme):
    add(programme, ref="A", fracture_date=date(2025, 1, 1))
    add(programme, ref="B", fracture_date=date(2025, 12, 31))
    add(programme, ref="C", fracture_date=date(2024, 12, 31))
    assert compute_for_programme(programme, start=YEAR[0], end=YEAR[1], as_of=LATE)["episodes"] == 2


@pytest.mark.parametrize(
    ("numerator", "denominator", "percent", "band"),
    [
        (1, 8, 12.5, "red"),
        (1, 16, 6.3, "red"),
        (2, 3, 66.7, "amber"),
        (1, 2, 50.0, "amber"),
        (4, 5, 80.0, "amber"),
        (801, 1000, 80.1, "green"),
        (999, 2000, 50.0, "amber"),
        (997, 2000, 49.9, "red"),
        (3, 3, 100.0, "green"),
    ],
)
def test_percent_rounds_half_away_from_zero_and_bands(numerator, denominator, percent, band):
    from clinical.kpi_sets import IOF_2020
    from kpis.engine import band_of, percent_of

    assert percent_of(numerator, denominator) == percent
    assert band_of(IOF_2020.get("KPI3"), percent) == band


@pytest.mark.parametrize(("percent", "band"), [(50.0, "green"), (49.9, "red")])
def test_medication_recommended_has_a_single_cut_at_50(percent, band):
    from clinical.kpi_sets import IOF_2020
    from kpis.engine import band_of

    assert band_of(IOF_2020.get("KPI6"), percent) == band


def test_expected_caseload_is_prorated_by_days_across_a_leap_year():
    caseloads = {2023: (365, 0), 2024: (732, 1)}
    period = Period(date(2023, 7, 1), date(2024, 6, 30))  # 184 days of 2023, 182 of leap 2024
    assert expected_for_period(caseloads, period, "expected_non_spine") == (184 + 364, None)
    half = Period(date(2024, 1, 1), date(2024, 7, 1))  # 183 of 366 days: exactly 0.5 of 1
    assert expected_for_period({2024: (0, 1)}, half, "expected_spine") == (1, None)
    assert expected_for_period({2024: (0, 1)}, Period(date(2024, 1, 1), date(2024, 6, 30)), "expected_spine") == (
        None,
        "expected caseload is 0 for this period",
    )


def test_identification_kpis_use_the_expected_caseload(programme):
    ExpectedCaseload.objects.create(programme=programme, year=2025, non_spine=4, spine=2)
    add(programme, ref="A")
    add(programme, ref="B", fracture_site="spine", spine_detection="clinical")
    assert kpi(programme, "KPI1") == {
        "code": "KPI1",
        "name": "Identification: non-spine fractures",
        "numerator": 1,
        "denominator": 4,
        "percent": 25.0,
        "band": "red",
        "pending": 0,
        "note": None,
    }
    assert kpi(programme, "KPI2")["percent"] == 50.0


def test_without_expected_caseload_the_denominator_is_unknown_and_says_why(programme):
    ExpectedCaseload.objects.create(programme=programme, year=2024, non_spine=4, spine=2)
    add(programme)
    result = kpi(programme, "KPI1", start=date(2024, 7, 1), end=date(2025, 6, 30))
    assert (result["denominator"], result["percent"], result["band"]) == (None, None, None)
    assert result["note"] == "expected caseload not set for 2025"  # the API's contract: English


@pytest.mark.parametrize(
    ("stored", "russian"),
    [
        ("expected caseload not set for 2024, 2025", "ожидаемое число пациентов не задано на 2024, 2025"),
        ("expected caseload is 0 for this period", "ожидаемое число пациентов за этот период равно 0"),
        ("a note from elsewhere", "a note from elsewhere"),
        (None, ""),
    ],
)
def test_a_stored_note_is_shown_in_the_readers_language(stored, russian):
    from django.utils import translation

    from kpis.templatetags.kpi_words import kpi_note

    with translation.override("ru"):
        assert kpi_note(stored) == russian


def test_fls_db_uses_90_day_windows(programme):
    add(programme, fls_assessment="yes", fls_assessment_date=F + timedelta(days=90))
    assert counts(programme, "KPI3", kpi_set="fls-db") == (1, 1, 0)
    assert counts(programme, "KPI3", kpi_set="iof-2020") == (0, 1, 0)
    assert kpi(programme, "KPI3", kpi_set="fls-db")["name"] == "FLS assessment within 90 days"


def test_other_programmes_never_count(programme, other_programme):
    add(other_programme, fls_assessment="yes", fls_assessment_date=F)
    add(programme)
    assert counts(programme, "KPI3") == (0, 1, 0)


def test_the_command_prints_the_json_of_the_contract(programme):
    ExpectedCaseload.objects.create(programme=programme, year=2025, non_spine=10, spine=3)
    add(programme, fls_assessment="yes", fls_assessment_date=F + timedelta(days=3))
    out = io.StringIO()
    call_command(
        "compute_kpis",
        programme.slug,
        "--start",
        "2025-01-01",
        "--end",
        "2025-12-31",
        "--as-of",
        "2026-11-22",
        "--kpi-set",
        "iof-2020",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert list(data) == ["programme", "kpi_set", "period", "as_of", "episodes", "kpis"]
    assert (data["programme"], data["kpi_set"], data["period"], data["as_of"], data["episodes"]) == (
        programme.slug,
        "iof-2020",
        {"start": "2025-01-01", "end": "2025-12-31"},
        "2026-11-22",
        1,
    )
    assert [k["code"] for k in data["kpis"]] == [f"KPI{n}" for n in range(1, 12)]
    assert data["kpis"][2] == {
        "code": "KPI3",
        "name": "FLS assessment within 12 weeks",
        "numerator": 1,
        "denominator": 1,
        "percent": 100.0,
        "band": "green",
        "pending": 0,
        "note": None,
    }


def test_the_command_explains_bad_input(programme):
    with pytest.raises(CommandError, match="not a date"):
        call_command("compute_kpis", programme.slug, "--start", "2025-13-01", "--end", "2025-12-31")
    with pytest.raises(CommandError, match="no programme"):
        call_command("compute_kpis", "nowhere", "--start", "2025-01-01", "--end", "2025-12-31")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_engine_agrees_with_the_naive_reference_on_synthetic_cohorts(programme, seed):
    from patients.importer import episodes_import

    today = date(2026, 11, 1)
    rows = synthetic_cohort(count=400, start=date(2024, 6, 1), end=today, today=today, seed=seed)
    episodes_import(programme=programme, rows=[(n + 2, r, []) for n, r in enumerate(rows)], today=today)
    ExpectedCaseload.objects.create(programme=programme, year=2025, non_spine=300, spine=70)
    ExpectedCaseload.objects.create(programme=programme, year=2026, non_spine=310, spine=71)
    with programme_scope(programme.pk):
        episodes = [e.values() for e in Episode.objects.for_programme(programme).select_related("patient")]
    assert len(episodes) == 400
    caseloads = {2025: (300, 70), 2026: (310, 71)}
    rng = random.Random(seed)
    for _ in range(4):
        start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 300))
        period = Period(start, start + timedelta(days=rng.randint(30, 500)))
        as_of = period.end + timedelta(days=rng.randint(0, 400))
        with programme_scope(programme.pk):  # compute() reads in its caller's scope
            (engine,) = compute(periods=[period], as_of=as_of, kpi_set="iof-2020", programme_ids=[programme.pk])
        naive = reference_kpis(episodes, period=period, as_of=as_of, caseloads=caseloads)
        assert engine.episodes == naive["episodes"]
        assert [
            {k: v for k, v in value.as_dict().items() if k not in ("name", "note")} for value in engine.kpis
        ] == naive["kpis"]
