"""Hypothesis fuzzes the CSV importers: whatever the bytes, the answer is a clear refusal or a
success, never a traceback, and a refusal writes nothing. Exported cells survive the round trip."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients import rules
from patients.exports import EXPORT_COLUMNS, episode_rows
from patients.importer import ImportRejected, csv_rows, episodes_import
from patients.models import AuditEntry, Episode, Patient
from programmes.csvio import CsvRejected, write_csv
from programmes.rls import programme_scope
from tests.patients.conftest import valid_values

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HEADER = ",".join(rules.COLUMNS).encode()
CELL = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def counts(programme):
    with programme_scope(programme.pk):
        return (
            Patient.objects.for_programme(programme).count(),
            Episode.objects.for_programme(programme).count(),
            AuditEntry.objects.for_programme(programme).count(),
        )


def import_bytes(programme, data: bytes):
    return episodes_import(programme=programme, rows=csv_rows(io.BytesIO(data)), source="fuzz", parallel=False)


def refused_or_imported(programme, data: bytes):
    before = counts(programme)
    try:
        import_bytes(programme, data)
    except (ImportRejected, CsvRejected) as exc:
        assert exc.errors, "a refusal says why"
        assert all(error.message for error in exc.errors)
        assert counts(programme) == before, "a refused file wrote something"


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes(programme, data):
    refused_or_imported(programme, data)


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=len(rules.COLUMNS) + 3), max_size=8))
def test_the_real_header_with_random_rows(programme, rows):
    lines = [HEADER] + [",".join('"' + cell.replace('"', '""') + '"' for cell in row).encode() for row in rows]
    refused_or_imported(programme, b"\n".join(lines))


@FUZZ
@given(columns=st.integers(min_value=1, max_value=5000), width=st.integers(min_value=0, max_value=300_000))
def test_wide_headers_and_huge_fields(programme, columns, width):
    header = ",".join(f"x{n}" for n in range(columns)).encode()
    refused_or_imported(programme, header + b"\n" + b"a" * width + b"\n")


@FUZZ
@given(encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-32", "cp1251", "latin-1"]))
def test_other_encodings_are_refused_with_a_message(programme, encoding):
    text = HEADER.decode() + "\n" + ",".join(valid_values(patient_ref="Ярослав-1").values()) + "\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")
    refused_or_imported(programme, data)


@FUZZ
@given(
    formula=st.sampled_from(["=", "+", "-", "@", "'=", "''+"]),
    rest=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=30),
)
def test_formula_references_round_trip_unchanged(programme, make_episode, formula, rest):
    ref = (formula + rest)[: rules.PATIENT_REF_MAX]
    with programme_scope(programme.pk):
        Patient.objects.for_programme(programme).filter(patient_ref=ref).delete()
    episode = make_episode(programme, patient_ref=ref)
    with programme_scope(programme.pk):
        episodes = Episode.objects.for_programme(programme).filter(pk=episode.pk).select_related("patient")
        exported = "".join(write_csv(episode_rows(episodes), EXPORT_COLUMNS))
    first_cell = exported.splitlines()[1].split(",")[0].strip('"')
    assert not first_cell.startswith(("=", "+", "-", "@")), "an exported cell would run as a formula"
    outcome = import_bytes(programme, exported.encode())
    assert (outcome.created, outcome.updated) == (0, 0)
    with programme_scope(programme.pk):
        assert Patient.objects.for_programme(programme).filter(patient_ref=ref).exists()
