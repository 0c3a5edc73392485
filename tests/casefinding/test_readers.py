"""Each reader gives the same records from the same cases, on feeds shaped as hospitals send them."""

from datetime import date

import pytest

from casefinding import readers
from tests.casefinding.samples import Case, adt, csv_feed, fhir_feed, hl7_feed, oru

CASES = [
    Case("e1", "MRN001", "1948-02-03", "2026-11-01", ["S72.00", "W01"]),
    Case("e2", "MRN002", "1939-12-31", "2026-11-02", [], "CT chest: Compression fracture of T12 vertebral body."),
]


def shape(records):
    return [(r.patient_ref, r.sex, r.birth_date, r.event_date, r.codes, r.report_text) for r in records]


EXPECTED = [
    ("MRN001", "female", date(1948, 2, 3), date(2026, 11, 1), ("S72.0", "W01"), ""),
    (
        "MRN002",
        "female",
        date(1939, 12, 31),
        date(2026, 11, 2),
        (),
        "CT chest: Compression fracture of T12 vertebral body.",
    ),
]


@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
def test_csv_with_or_without_a_byte_order_mark(bom):
    content = csv_feed(CASES, bom=bom)
    assert readers.detect_format(content) == "csv"
    assert shape(readers.read(content, "csv")) == EXPECTED


@pytest.mark.parametrize("bundle_type", ["searchset", "collection"])
def test_fhir_searchset_and_collection(bundle_type):
    content = fhir_feed(CASES, bundle_type=bundle_type)
    assert readers.detect_format(content) == "fhir"
    records = list(readers.read(content, "fhir", identifier_system="urn:oid:1.2.3.4"))
    assert shape(records) == EXPECTED
    assert [r.source_id for r in records] == ["Condition/e1", "DiagnosticReport/e2"]


def test_fhir_takes_the_first_identifier_without_a_configured_system():
    records = list(readers.read(fhir_feed(CASES), "fhir"))
    assert records[0].patient_ref == "INSMRN001"


@pytest.mark.parametrize("line_end", ["\r", "\r\n", "\n"], ids=["cr", "windows", "unix"])
@pytest.mark.parametrize("event", ["A01", "A03", "A08"])
def test_hl7_adt_and_oru_with_each_line_end(line_end, event):
    content = hl7_feed(CASES, line_end=line_end, event=event)
    assert readers.detect_format(content) == "hl7v2"
    records = list(readers.read(content, "hl7v2"))
    assert shape(records) == EXPECTED
    assert [r.source_id for r in records] == ["e1:3", "e2:3"]


def test_hl7_oru_joins_its_text_lines_and_unescapes():
    case = Case("r9", "MRN9", "1950-01-01", "2026-10-10", [], "FINDINGS: L1 | mild wedge fracture.\nIMPRESSION: old.")
    (record,) = readers.read(oru(case).encode(), "hl7v2")
    assert record.report_text == "FINDINGS: L1 | mild wedge fracture. IMPRESSION: old."


def test_hl7_ignores_messages_that_carry_no_case():
    transfer = adt(CASES[0], event="A02")
    assert list(readers.read(transfer.encode(), "hl7v2")) == []


def test_hl7_in_mllp_frames_and_a_batch():
    framed = "FHS|^~\\&\rBHS|^~\\&\r" + "".join(f"\x0b{adt(c)}\x1c\r" for c in CASES[:1]) + "BTS|1\rFTS|1\r"
    assert shape(readers.read(framed.encode(), "hl7v2")) == EXPECTED[:1]


@pytest.mark.parametrize(
    ("fmt", "content", "message"),
    [
        ("csv", b"id,name\n1,x\n", "record 1: not a case-finding CSV: the header lacks source_id"),
        (
            "csv",
            csv_feed(CASES).replace(b"2026-11-02", b"02/11/2026"),
            "record 2: event_date '02/11/2026' is not a date",
        ),
        ("fhir", b'{"resourceType": "Patient", "id": "x"}', "record 1: not a FHIR Bundle (resourceType is 'Patient')"),
        ("fhir", b"{not json", "record 1: not JSON"),
        (
            "fhir",
            fhir_feed(CASES).replace(b'"2026-11-01T22:10:00+03:00"', b'"yesterday"'),
            "record 1: Condition e1: onsetDateTime",
        ),
        ("hl7v2", b"PID|1||X\r", "record 1: no MSH segment"),
        ("hl7v2", hl7_feed(CASES).replace(b"|e2|", b"||"), "record 2: MSH-10 (message control ID) is empty"),
        ("csv", b"\xff\xfe\x00", "record 1: the file is not UTF-8 text"),
    ],
    ids=[
        "csv-header",
        "csv-date",
        "fhir-not-bundle",
        "fhir-not-json",
        "fhir-invalid",
        "hl7-no-msh",
        "hl7-no-id",
        "not-utf8",
    ],
)
def test_an_unreadable_file_names_the_record(fmt, content, message):
    with pytest.raises(readers.Unreadable) as raised:
        list(readers.read(content, fmt))
    assert str(raised.value).startswith(message), str(raised.value)


def test_hl7_with_other_separators_than_the_usual_ones():
    # A sender may declare its own separators in MSH-1 and MSH-2: here # for fields, * for components.
    usual = adt(CASES[0])
    other = usual.replace("|", "#").replace("^", "*").replace("MSH#*~", "MSH#*~", 1)
    assert shape(readers.read(other.encode(), "hl7v2")) == EXPECTED[:1]
    assert [r.source_id for r in readers.read(other.encode(), "hl7v2")] == ["e1:3"]
