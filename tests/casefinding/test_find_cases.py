"""``find_cases``: the contract of the command and the rules of spec/case-finding.md on files the
tests build in each format."""

from collections import Counter
from datetime import date, timedelta

import pytest

from casefinding import rules
from casefinding.models import Candidate, MonthlyCount, SeenRecord
from patients.services import episode_create
from programmes import rls
from programmes.models import AccessEvent
from tests.casefinding.conftest import candidates_of
from tests.casefinding.samples import FORMATS, Case
from tests.patients.conftest import valid_values
from tests.writes import rows_written

pytestmark = pytest.mark.django_db

TODAY = date.today()


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


OLD = "1946-04-01"
CASES = [
    Case("a1", "P1", OLD, day(40), ["S72.01", "W19"]),  # hip
    Case("a2", "P2", "1990-01-01", day(39), ["S72.0"]),  # age
    Case("a3", "P3", OLD, day(38), ["S52.5", "V43.5"]),  # high energy (transport accident)
    Case("a4", "P4", OLD, day(37), ["S72.3", "C79.5"]),  # neoplastic
    Case("a5", "P5", OLD, day(36), ["S62.3"]),  # hand only
    Case("a6", "P6", OLD, day(35), ["J18.9"]),  # no fracture
    Case("a7", "P7", OLD, day(34), [], "CT thorax: incidental wedge fracture of T8."),  # spine on imaging
    Case("a8", "P8", OLD, day(33), [], "No vertebral fracture."),  # negated: no fracture
    Case("a9", "P1", OLD, day(20), ["S72.0"]),  # P1 again within 90 days: duplicate
    Case("a10", "P9", OLD, day(30), ["S52.5"]),  # wrist
]
EXPECTED = {
    "records": 10,
    "candidates": 3,
    "duplicates": 1,
    "unchanged": 0,
    "excluded": {"age": 1, "high_energy": 1, "neoplastic": 1, "not_fragility_site": 1, "no_fracture": 2},
    "sites": {"hip": 1, "spine": 1, "wrist": 1},
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_gives_the_same_counts_and_a_second_run_is_unchanged(fmt, programme, find):
    content = FORMATS[fmt](CASES)
    status, result, _err = find(content)
    assert (status, result) == (0, EXPECTED)
    status, again, _err = find(content, "--format", fmt)
    assert again == {"records": 10, "candidates": 0, "duplicates": 0, "unchanged": 10, "excluded": {}, "sites": {}}
    assert len(candidates_of(programme)) == 4


def test_candidates_hold_what_the_inbox_and_the_form_need(programme, find):
    find(FORMATS["csv"](CASES))
    found = {c.patient_ref: c for c in candidates_of(programme)}
    spine = found["P7"]
    assert (spine.site, spine.spine_detection, spine.rules_version) == ("spine", "radiological", rules.VERSION)
    assert spine.report_text[slice(*spine.matched[0])] == "wedge fracture"
    hip = [c for c in candidates_of(programme) if c.patient_ref == "P1"]
    assert [c.status for c in hip] == ["open", "duplicate"]
    assert hip[1].duplicate_of_id == hip[0].pk
    assert (hip[0].codes, hip[0].birth_date, hip[0].sex) == (["S72.0", "W19"], date(1946, 4, 1), "female")


def test_duplicates_across_files_and_formats(programme, find):
    find(FORMATS["hl7v2"]([Case("h1", "P1", OLD, day(100), ["S22.0"])]))
    status, result, _ = find(FORMATS["fhir"]([Case("f1", "P1", OLD, day(15), [], "Compression fracture of L1.")]))
    assert (result["candidates"], result["duplicates"]) == (0, 1)
    status, result, _ = find(FORMATS["csv"]([Case("c1", "P1", OLD, day(5), ["S52.5"])]))
    assert (result["candidates"], result["duplicates"]) == (1, 0)  # 95 days after the first candidate


@pytest.mark.parametrize(("gap", "duplicate"), [(90, True), (91, False)])
def test_the_ninety_day_window_against_an_episode(programme, coordinator, find, gap, duplicate):
    values = {
        name: value
        for name, value in valid_values(patient_ref="P1", birth_date=OLD, fracture_date=day(100)).items()
        if name in ("patient_ref", "sex", "birth_date", "fracture_date", "fracture_site")
    }
    with rls.programme_scope(programme.pk):
        episode = episode_create(programme=programme, actor=coordinator, values=values)
    _, result, _ = find(FORMATS["csv"]([Case("c1", "P1", OLD, day(100 - gap), ["S72.0"])]))
    assert result["duplicates"] == int(duplicate)
    if duplicate:
        assert candidates_of(programme)[0].duplicate_of_episode_id == episode.pk


def test_within_a_file_records_are_taken_in_event_date_order(programme, find):
    # The file lists the later record first: the earlier one is the candidate, the later its duplicate.
    _, result, _ = find(
        FORMATS["csv"]([Case("late", "P1", OLD, day(10), ["S52.5"]), Case("early", "P1", OLD, day(50), ["S72.0"])])
    )
    assert (result["candidates"], result["duplicates"], result["sites"]) == (1, 1, {"hip": 1})


def test_a_duplicate_does_not_extend_the_window(programme, find):
    cases = [Case("d1", "P1", OLD, day(150), ["S72.0"]), Case("d2", "P1", OLD, day(80), ["S72.0"]),
             Case("d3", "P1", OLD, day(20), ["S72.0"])]  # fmt: skip
    _, result, _ = find(FORMATS["csv"](cases))
    assert (result["candidates"], result["duplicates"]) == (2, 1)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_an_unreadable_file_exits_1_and_stores_nothing(fmt, programme, find):
    good = FORMATS[fmt](CASES[:3])
    broken = {"csv": good.replace(day(39).encode(), b"39 days ago"), "fhir": b'{"resourceType": "Patient"}',
              "hl7v2": good.replace(b"MSH|", b"XXX|")}[fmt]  # fmt: skip
    before = rows_written()
    status, result, err = find(broken, "--format", fmt)
    assert status == 1 and result is None
    assert err.startswith("record ") and "nothing was stored" in err
    assert rows_written() == before
    with rls.programme_scope(programme.pk):
        assert not SeenRecord.objects.for_programme(programme).exists()


def test_the_csv_error_names_the_record(programme, find):
    content = FORMATS["csv"](CASES[:3]).replace(day(39).encode(), b"2026-13-45")
    _status, _result, err = find(content)
    assert err.splitlines()[0] == "record 2: event_date '2026-13-45' is not a date (YYYY-MM-DD)"


def test_the_import_is_in_the_access_log_and_the_monthly_counts(programme, find):
    find(FORMATS["hl7v2"](CASES))
    with rls.programme_scope(programme.pk):
        event = AccessEvent.objects.for_programme(programme).get(action=AccessEvent.Action.IMPORTED)
    assert (event.detail["what"], event.detail["format"], event.detail["candidates"]) == ("case_finding", "hl7v2", 3)
    counts = Counter()
    for row in MonthlyCount.objects.filter(programme=programme):
        assert row.month.day == 1
        counts[(row.kind, row.reason)] += row.count
    assert counts == {("read", ""): 10, ("candidate", "hip"): 1, ("candidate", "spine_radiological"): 1,
                      ("candidate", "wrist"): 1, ("duplicate", ""): 1, ("excluded", "age"): 1,
                      ("excluded", "high_energy"): 1, ("excluded", "neoplastic"): 1,
                      ("excluded", "not_fragility_site"): 1, ("excluded", "no_fracture"): 2}  # fmt: skip


def test_the_monthly_counts_follow_the_month_of_the_event(programme, find):
    find(
        FORMATS["csv"]([Case("m1", "P1", OLD, "2026-03-31", ["S72.0"]), Case("m2", "P2", OLD, "2026-04-01", ["J18.9"])])
    )
    rows = {(c.month, c.kind, c.reason): c.count for c in MonthlyCount.objects.filter(programme=programme)}
    assert rows == {(date(2026, 3, 1), "read", ""): 1, (date(2026, 3, 1), "candidate", "hip"): 1,
                    (date(2026, 4, 1), "read", ""): 1, (date(2026, 4, 1), "excluded", "no_fracture"): 1}  # fmt: skip


def test_candidates_are_under_row_level_security(programme, other_programme, find):
    find(FORMATS["csv"](CASES))
    with rls.programme_scope(other_programme.pk):
        assert Candidate.objects.all_programmes().count() == 0
        assert SeenRecord.objects.all_programmes().count() == 0
    with rls.programme_scope(programme.pk):
        assert Candidate.objects.all_programmes().count() == 4


def test_the_same_file_in_another_programme_is_new_there(programme, other_programme, find):
    find(FORMATS["csv"](CASES))
    _, result, _ = find(FORMATS["csv"](CASES), target=other_programme)
    assert result == EXPECTED


def test_a_transport_accident_is_never_proposed(programme, find):
    _, result, _ = find(FORMATS["fhir"]([Case("v1", "P1", OLD, day(3), ["S32.0", "V89.2"])]))
    assert result["excluded"] == {"high_energy": 1} and result["candidates"] == 0
    assert candidates_of(programme) == []


def test_a_record_twice_in_one_file_is_read_once(programme, find):
    case = Case("same", "P1", OLD, day(3), ["S72.0"])
    _, result, _ = find(FORMATS["csv"]([case, case]))
    assert (result["records"], result["candidates"], result["unchanged"]) == (2, 1, 1)


def test_a_large_file_is_read_in_chunks_with_duplicates_across_them(programme, find, monkeypatch):
    from casefinding import services

    monkeypatch.setattr(services, "CHUNK", 3)
    monkeypatch.setattr(services._Ids, "BLOCK", 2)
    monkeypatch.setattr(services, "BATCH", 2)
    cases = [Case(f"k{n}", f"P{n % 4}", OLD, day(30 - n), ["S52.5"]) for n in range(10)]
    _, result, _ = find(FORMATS["csv"](cases + cases[:2]))
    assert (result["records"], result["candidates"], result["duplicates"], result["unchanged"]) == (12, 4, 6, 2)
    found = candidates_of(programme)
    by_pk = {c.pk: c for c in found}
    assert all(by_pk[c.duplicate_of_id].patient_ref == c.patient_ref for c in found if c.status == "duplicate")


def test_the_lead_names_the_record_number_system_on_the_settings_page(programme, lead, login):
    from programmes.forms import ProgrammeProfileForm

    data = {**ProgrammeProfileForm.initial_for(programme), "record_number_system": "urn:oid:9.9.9"}
    data["languages"] = ",".join(data["languages"]) if isinstance(data["languages"], list) else data["languages"]
    response = login(lead).post(f"/p/{programme.slug}/settings/", {**data, "save_profile": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    programme.refresh_from_db()
    assert programme.record_number_system == "urn:oid:9.9.9"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_reports_in_each_language_with_and_without_negation(fmt, programme, find):
    from tests.casefinding.test_rules import FOUND, NEGATED

    cases = [Case(f"f-{lang}", f"F-{lang}", OLD, day(10), [], text) for lang, text in sorted(FOUND.items())]
    cases += [Case(f"n-{lang}", f"N-{lang}", OLD, day(10), [], text) for lang, text in sorted(NEGATED.items())]
    _, result, _ = find(FORMATS[fmt](cases))
    assert (result["candidates"], result["sites"], result["excluded"]) == (6, {"spine": 6}, {"no_fracture": 6})
    found = candidates_of(programme)
    assert {c.patient_ref for c in found} == {f"F-{lang}" for lang in FOUND}
    assert all(c.spine_detection == "radiological" and c.matched for c in found)
