import csv
import io

import pytest
from django.core.management import call_command

from patients import rules
from patients.importer import ImportRejected, csv_rows, episodes_import
from patients.models import AuditEntry, Episode, Patient
from programmes.rls import programme_scope
from tests.patients.conftest import days_ago, valid_values


def csv_text(rows, columns=rules.COLUMNS, newline="\n") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator=newline, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def rows(count, prefix="R"):
    return [valid_values(patient_ref=f"{prefix}{n:05d}") for n in range(count)]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


def write(tmp_path, text, name="episodes.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("parallel", [True, False])
def test_import_creates_patients_episodes_and_audit_rows(programme, tmp_path, parallel):
    path = write(tmp_path, csv_text(rows(30)))
    with path.open("rb") as handle:
        counts = episodes_import(programme=programme, rows=csv_rows(handle), parallel=parallel)
    assert (counts.created, counts.updated, counts.unchanged) == (30, 0, 0)
    with programme_scope(programme.pk):
        assert Episode.objects.for_programme(programme).count() == 30
        assert AuditEntry.objects.for_programme(programme).filter(action="create", entity="patient").count() == 30
        entry = AuditEntry.objects.for_programme(programme).filter(entity="episode").first()
    assert entry.changes["fracture_site"] == [None, "wrist"]
    assert "sb_started_date" not in entry.changes


def test_command_reports_counts_and_reimport_changes_nothing(programme, tmp_path):
    path = write(tmp_path, csv_text(rows(20)))
    assert run("import_patients", programme.slug, str(path)) == (0, "created 20, updated 0, unchanged 0\n", "")
    with programme_scope(programme.pk):
        before = list(Episode.objects.for_programme(programme).order_by("pk").values())
        audit = AuditEntry.objects.for_programme(programme).count()
    assert run("import_patients", programme.slug, str(path)) == (0, "created 0, updated 0, unchanged 20\n", "")
    with programme_scope(programme.pk):
        assert list(Episode.objects.for_programme(programme).order_by("pk").values()) == before
        assert AuditEntry.objects.for_programme(programme).count() == audit


def test_a_changed_row_updates_that_episode_with_field_level_audit(programme, tmp_path):
    original = rows(3)
    run("import_patients", programme.slug, str(write(tmp_path, csv_text(original))))
    original[1]["falls_assessment"] = "yes"
    status, out, _err = run("import_patients", programme.slug, str(write(tmp_path, csv_text(original), "v2.csv")))
    assert (status, out) == (0, "created 0, updated 1, unchanged 2\n")
    with programme_scope(programme.pk):
        episode = Episode.objects.for_programme(programme).get(patient__patient_ref="R00001")
        assert (episode.falls_assessment, episode.version) == ("yes", 2)
        update = AuditEntry.objects.for_programme(programme).get(action="update")
    assert update.changes == {"falls_assessment": ["referred", "yes"]}


def test_three_bad_rows_among_1000_are_the_three_reported_and_nothing_is_written(programme, tmp_path):
    data = rows(1000)
    data[9]["sex"] = "woman"  # spreadsheet row 11
    data[500]["fracture_date"] = "2025-02-30"  # row 502
    data[998]["dxa"] = "no"  # row 1000: a DXA date with status no
    status, out, err = run("import_patients", programme.slug, str(write(tmp_path, csv_text(data))))
    assert (status, out) == (1, "")
    lines = err.splitlines()
    assert lines[:3] == [
        "row 11, column sex: 'woman' is not allowed here; use one of: female, male, other, unknown",
        "row 502, column fracture_date: '2025-02-30' is not a real date; write dates as YYYY-MM-DD, e.g. 2025-03-14",
        "row 1000, column dxa_date: a date is given but dxa is 'no': clear the date or change dxa to yes",
    ]
    assert lines[3] == "3 error(s); nothing was imported."
    with programme_scope(programme.pk):
        assert not Patient.objects.for_programme(programme).exists()


def test_spreadsheet_bom_crlf_and_quoted_newlines_are_accepted(programme, tmp_path):
    data = rows(3)
    data[1]["patient_ref"] = 'R "quoted",\nwith newline'
    text = csv_text(data, newline="\r\n")
    path = write(tmp_path, text, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert run("import_patients", programme.slug, str(path))[0] == 0
    with programme_scope(programme.pk):
        assert Patient.objects.for_programme(programme).filter(patient_ref='R "quoted",\nwith newline').exists()


def test_rows_are_numbered_as_a_spreadsheet_shows_them_after_a_quoted_newline(programme, tmp_path):
    data = rows(3)
    data[0]["patient_ref"] = "two\nlines"
    data[2]["sex"] = "x"
    status, _out, err = run("import_patients", programme.slug, str(write(tmp_path, csv_text(data))))
    assert status == 1
    assert err.startswith("row 4, column sex:")


def test_export_then_import_is_lossless(programme, tmp_path):
    data = rows(5)
    data[2].update(fracture_site="spine", spine_detection="radiological", patient_ref="Ярославль-7")
    data[3].update(death_date=days_ago(1))
    run("import_patients", programme.slug, str(write(tmp_path, csv_text(data))))
    exported = tmp_path / "export.csv"
    assert run("export_patients", programme.slug, "--output", str(exported))[0] == 0
    assert run("import_patients", programme.slug, str(exported))[1] == "created 0, updated 0, unchanged 5\n"
    again = tmp_path / "again.csv"
    run("export_patients", programme.slug, "--output", str(again))
    assert exported.read_bytes() == again.read_bytes()
    with exported.open(newline="") as handle:
        assert next(csv.reader(handle)) == rules.COLUMNS


def test_formula_cells_are_exported_as_text_and_come_back_unchanged(programme, tmp_path):
    data = rows(2)
    data[0]["patient_ref"] = '=HYPERLINK("http://evil.example","click")'
    data[1]["patient_ref"] = "-12"
    run("import_patients", programme.slug, str(write(tmp_path, csv_text(data))))
    exported = tmp_path / "export.csv"
    run("export_patients", programme.slug, "--output", str(exported))
    with exported.open(newline="") as handle:
        refs = {row["patient_ref"] for row in csv.DictReader(handle)}
    assert refs == {'\'=HYPERLINK("http://evil.example","click")', "'-12"}
    assert run("import_patients", programme.slug, str(exported))[1] == "created 0, updated 0, unchanged 2\n"
    with programme_scope(programme.pk):
        stored = set(Patient.objects.for_programme(programme).values_list("patient_ref", flat=True))
    assert stored == {'=HYPERLINK("http://evil.example","click")', "-12"}


def test_the_same_key_twice_in_a_file_is_an_error(programme, tmp_path):
    data = rows(2) + [valid_values(patient_ref="R00000")]
    status, _out, err = run("import_patients", programme.slug, str(write(tmp_path, csv_text(data))))
    assert status == 1
    assert "row 4, column fracture_date: the same patient_ref and fracture_date are already on row 2" in err


def test_a_patient_with_another_birth_date_than_stored_is_refused(programme, tmp_path, make_episode):
    make_episode(programme, patient_ref="R00001")
    data = rows(2)
    data[1]["birth_date"] = "1940-01-01"
    status, _out, err = run("import_patients", programme.slug, str(write(tmp_path, csv_text(data))))
    assert status == 1
    assert "row 3, column birth_date: patient R00001 is registered with date of birth" in err


def test_a_patient_described_two_ways_in_one_file_is_refused(programme, tmp_path):
    first = valid_values(patient_ref="R9")
    second = valid_values(
        patient_ref="R9",
        sex="male",
        fracture_date=days_ago(100),
        identification_date="",
        fls_assessment_date=days_ago(90),
        dxa_date=days_ago(80),
        first_followup_date="",
        aom_started_date=days_ago(70),
    )
    status, _out, err = run("import_patients", programme.slug, str(write(tmp_path, csv_text([first, second]))))
    assert status == 1
    assert "row 3, column sex: patient R9 has a different sex on row 2" in err


def test_a_refracture_in_the_file_adds_a_second_episode_to_the_patient(programme, tmp_path):
    second = valid_values(
        patient_ref="R1",
        fracture_date=days_ago(100),
        identification_date="",
        fls_assessment_date=days_ago(90),
        dxa_date=days_ago(80),
        first_followup_date="",
        aom_started_date=days_ago(70),
    )
    assert (
        run(
            "import_patients", programme.slug, str(write(tmp_path, csv_text([valid_values(patient_ref="R1"), second])))
        )[0]
        == 0
    )
    with programme_scope(programme.pk):
        patient = Patient.objects.for_programme(programme).get()
        assert Episode.objects.for_programme(programme).filter(patient=patient).count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "row 1: the file is empty"),
        (b"R1,female,1950-01-01\n", "row 1: the header row is missing"),
        (
            "patient_ref,sex,birth_date,fracture_date,fracture_site\nЯ1,female,1950-01-01,2025-01-01,hip\n".encode(
                "cp1251"
            ),
            "row 2: the file is not UTF-8 text",
        ),
        (b"patient_ref,sex,birth_date,fracture_date,fracture_site,ward\n", "row 1, column ward: unknown column"),
        (b"patient_ref,sex,birth_date,fracture_date\n", "row 1, column fracture_site: required column is missing"),
        (b"patient_ref,sex,birth_date,fracture_date,fracture_site\n", "row 2: there are no episodes to import"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message(programme, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    status, _out, err = run("import_patients", programme.slug, str(path))
    assert status == 1
    assert message in err
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()


def test_missing_optional_columns_mean_blank(programme, tmp_path):
    text = "fracture_site,patient_ref,sex,birth_date,fracture_date\nhip,R1,male,1950-01-01,2025-01-01\n"
    assert run("import_patients", programme.slug, str(write(tmp_path, text)))[0] == 0
    with programme_scope(programme.pk):
        episode = Episode.objects.for_programme(programme).get()
    assert (episode.fls_assessment, episode.dxa_date) == ("", None)


def test_import_into_one_programme_never_touches_another(programme, other_programme, tmp_path, make_episode):
    theirs = make_episode(other_programme, patient_ref="R00000")
    run("import_patients", programme.slug, str(write(tmp_path, csv_text(rows(3)))))
    with programme_scope(other_programme.pk):
        theirs.refresh_from_db()
    assert theirs.version == 1
    with programme_scope(other_programme.pk):
        assert Episode.objects.for_programme(other_programme).count() == 1
    with programme_scope(programme.pk):
        assert Episode.objects.for_programme(programme).count() == 3


def test_unknown_programme_is_an_error(db, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no programme with slug 'nowhere'"):
        call_command("import_patients", "nowhere", str(write(tmp_path, csv_text(rows(1)))))


def test_service_rejects_and_reports_with_rows(programme):
    bad = valid_values(sex="")
    with pytest.raises(ImportRejected) as caught:
        episodes_import(programme=programme, rows=[(2, bad, [])])
    assert [str(e) for e in caught.value.errors] == ["row 2, column sex: is required: Sex cannot be blank"]


def test_a_large_import_refreshes_the_statistics_so_a_reimport_reads_the_key_index(programme):
    """Right after a first import into a new database the planner's statistics still say the tables
    are empty; it then read every episode of the programme once per key of the next import (a
    re-import of 10,000 rows took 11 s instead of 0.4 s). A large import ends with an ANALYZE, and
    the lookups run with sequential scans off."""
    from datetime import date, timedelta

    from django.db import connection

    from patients.importer import _LOOKUP_EPISODES_SQL, ANALYZE_AFTER_ROWS, _Writer
    from patients.synthetic import synthetic_cohort

    today = date(2026, 11, 1)
    count = ANALYZE_AFTER_ROWS + 50
    rows = list(synthetic_cohort(count=count, start=today - timedelta(days=700), end=today, today=today, seed=9))
    episodes_import(programme=programme, rows=[(n + 2, r, []) for n, r in enumerate(rows)], today=today)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'patients_episode'")
        assert cursor.fetchone()[0] >= count  # the import's own rows, counted by its ANALYZE
    counts = episodes_import(programme=programme, rows=[(n + 2, r, []) for n, r in enumerate(rows)], today=today)
    assert counts.unchanged == count
    with programme_scope(programme.pk), connection.cursor() as cursor:
        writer = _Writer(cursor.cursor, programme_id=programme.pk, actor_id=None, source="test")
        assert writer._lookup("SELECT current_setting('enable_seqscan')", {}) == [("off",)]
        cursor.execute("SELECT current_setting('enable_seqscan')")
        assert cursor.fetchone()[0] == "on"  # put back after the lookup
        cursor.execute("SELECT id FROM patients_patient WHERE programme_id = %s", [programme.pk])
        patients = [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN " + _LOOKUP_EPISODES_SQL, {"programme": programme.pk, "patients": patients})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "episode_key" in plan, plan
