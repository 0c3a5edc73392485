"""The three feeds a hospital already exports, read into one record shape (``SourceRecord``).

- CSV through the standard library (UTF-8, with or without a byte-order mark);
- FHIR R4 Bundles through ``fhir.resources`` (its R4B models: Bundle, Patient, Condition and
  DiagnosticReport are the same in R4 and R4B);
- HL7 v2 (2.3-2.8, ER7 text) through ``hl7`` (python-hl7).

Each reader is a generator: records come out as the file is read, so memory does not grow with
the file (a FHIR Bundle is one JSON document and is parsed whole: a bundle is a page of a search).
A file that cannot be read as its format raises ``Unreadable`` with the number of the record where
reading stopped; the caller stores nothing (``casefinding.services.records_read``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

import hl7
import orjson
import pydantic
from django.utils.translation import gettext as _
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.patient import Patient

from casefinding import rules

FORMATS = ("csv", "fhir", "hl7v2")
CSV_COLUMNS = ("source_id", "patient_ref", "sex", "birth_date", "event_date", "codes", "report_text")
CSV_REQUIRED = CSV_COLUMNS[:-1]
ICD10_SYSTEMS = frozenset(
    {
        "http://hl7.org/fhir/sid/icd-10",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10-gm",
    }
)
SEXES = {"female": "female", "male": "male", "other": "other", "unknown": "unknown", "f": "female", "m": "male"}
SEXES.update({"o": "other", "u": "unknown", "a": "other", "n": "unknown"})  # HL7 table 0001: A ambiguous, N n/a
ADT_EVENTS = frozenset({"A01", "A03", "A04", "A08"})
MAX_REPORT_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record of a feed, whatever its format. ``number``: its place in the file (from 1)."""

    number: int
    source_id: str
    patient_ref: str
    sex: str
    birth_date: date | None
    event_date: date
    codes: tuple[str, ...]
    report_text: str = ""


class Unreadable(Exception):
    """The file cannot be read as its format; ``record``: where reading stopped (from 1)."""

    def __init__(self, record: int, message: str):
        self.record = record
        self.message = message
        super().__init__(f"record {record}: {message}")


def detect_format(head: bytes) -> str:
    """The format from the first bytes of the content: ``MSH`` starts HL7 v2, ``{`` a FHIR Bundle;
    anything else is read as CSV (and refused there if its header is not the feed's)."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"MSH") or text.startswith(b"\x0bMSH"):  # \x0b: an MLLP frame's start
        return "hl7v2"
    if text.startswith(b"{"):
        return "fhir"
    return "csv"


def read(content: bytes | BinaryIO, fmt: str, *, identifier_system: str = "") -> Iterator[SourceRecord]:
    """The records of ``content`` read as ``fmt`` (one of FORMATS). ``content``: the bytes, or a
    binary file, which CSV and HL7 v2 read as a stream (a file drop of any size in little memory)."""
    if fmt == "fhir":
        return read_fhir(content if isinstance(content, bytes) else content.read(), identifier_system=identifier_system)
    lines = _lines(content)
    if fmt == "csv":
        return read_csv(lines)
    if fmt == "hl7v2":
        return read_hl7(lines)
    raise ValueError(fmt)


def _lines(content: bytes | BinaryIO) -> Iterator[str]:
    """The text's lines, ended by CR, LF or CR LF (HL7 v2 ends segments with CR alone), each given
    with "\\n"; a byte-order mark is dropped. Not UTF-8: ``Unreadable`` with the line."""
    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline=None)
    number = 0
    try:
        for number, line in enumerate(text, start=1):  # noqa: B007 - read after the loop on an error
            yield line  # with its "\n": a quoted CSV value may span lines
    except UnicodeDecodeError:
        raise Unreadable(1, _("the file is not UTF-8 text (line %(line)s)") % {"line": number + 1}) from None
    finally:
        with contextlib.suppress(ValueError):  # the file may be closed already (a reader stopped early)
            text.detach()  # the caller's file stays open: the wrapper does not close it


def _sex(value: str) -> str:
    return SEXES.get(value.strip().lower(), "unknown")


def _day(value: str) -> date | None:
    """A date from ``YYYY-MM-DD`` or the first eight digits of an HL7 timestamp; None if not one."""
    value = value.strip()
    try:
        if len(value) >= 8 and value[:8].isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        return date.fromisoformat(value[:10]) if len(value) >= 10 else None
    except ValueError:
        return None


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(code for code in map(rules.normalise_code, values) if code)


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(lines: Iterable[str]) -> Iterator[SourceRecord]:
    rows = csv.reader(lines)
    header = [name.strip().lower() for name in next(rows, [])]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise Unreadable(
            1,
            _("not a case-finding CSV: the header lacks %(columns)s (expected %(expected)s)")
            % {"columns": ", ".join(missing), "expected": ", ".join(CSV_COLUMNS)},
        )
    index = {name: header.index(name) for name in CSV_COLUMNS if name in header}
    number = 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        number += 1
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        values = {name: row[i].strip() for name, i in index.items()}
        if not values["source_id"]:
            raise Unreadable(number, _("source_id is empty"))
        event = _day(values["event_date"])
        if event is None:
            raise Unreadable(
                number, _("event_date %(value)r is not a date (YYYY-MM-DD)") % {"value": values["event_date"]}
            )
        yield SourceRecord(
            number=number,
            source_id=values["source_id"],
            patient_ref=values["patient_ref"],
            sex=_sex(values["sex"]),
            birth_date=_day(values["birth_date"]),
            event_date=event,
            codes=_codes(values["codes"].split(";")),
            report_text=values.get("report_text", "")[:MAX_REPORT_CHARS],
        )


# --- FHIR R4 -------------------------------------------------------------------------------------

MODELS = {"Patient": Patient, "Condition": Condition, "DiagnosticReport": DiagnosticReport}


def _validation_message(resource: dict, exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return _("%(type)s %(id)s: %(where)s: %(problem)s") % {
        "type": resource.get("resourceType"),
        "id": resource.get("id", ""),
        "where": where,
        "problem": first.get("msg", ""),
    }


def _event_day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()  # the date as written, in the offset it was written in
    if isinstance(value, date):
        return value
    return None


def read_fhir(content: bytes, *, identifier_system: str = "") -> Iterator[SourceRecord]:
    try:
        document = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise Unreadable(1, _("not JSON: %(problem)s") % {"problem": exc}) from None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        found = document.get("resourceType") if isinstance(document, dict) else type(document).__name__
        raise Unreadable(1, _("not a FHIR Bundle (resourceType is %(found)r)") % {"found": found})
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        raise Unreadable(1, _("the Bundle's entry is not a list"))
    patients: dict[str, tuple[str, str, date | None]] = {}
    findings: list[tuple[int, dict]] = []
    # Patients first: a search's included subjects may come after the resources that name them.
    for position, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise Unreadable(position, _("entry %(n)s holds no resource") % {"n": position})
        kind = resource.get("resourceType")
        if kind == "Patient":
            patient = _validated(position, resource)
            ref, sex, birth = _patient_values(patient, identifier_system)
            for key in _patient_keys(entry, patient):
                patients[key] = (ref, sex, birth)
        elif kind in MODELS:
            findings.append((position, resource))
    for position, resource in findings:
        finding = _validated(position, resource)
        subject = (finding.subject.reference or "") if finding.subject else ""
        patient = patients.get(subject) or patients.get("Patient/" + subject.rpartition("/")[2])
        if patient is None:
            raise Unreadable(
                position,
                _("%(type)s %(id)s: its subject %(subject)r is not a Patient in this Bundle")
                % {"type": resource.get("resourceType"), "id": finding.id or "", "subject": subject},
            )
        if isinstance(finding, Condition):
            event = _event_day(finding.onsetDateTime) or _event_day(finding.recordedDate)
            codings = finding.code.coding if finding.code and finding.code.coding else []
            report = ""
            what = "onsetDateTime, recordedDate"
        else:
            event = _event_day(finding.effectiveDateTime) or _event_day(finding.issued)
            codings = [c for concept in finding.conclusionCode or [] for c in concept.coding or []]
            report = (finding.conclusion or "")[:MAX_REPORT_CHARS]
            what = "effectiveDateTime, issued"
        if event is None:
            raise Unreadable(
                position,
                _("%(type)s %(id)s has no event date (%(fields)s)")
                % {"type": resource.get("resourceType"), "id": finding.id or "", "fields": what},
            )
        if not finding.id:
            raise Unreadable(position, _("%(type)s has no id") % {"type": resource.get("resourceType")})
        yield SourceRecord(
            number=position,
            source_id=f"{resource['resourceType']}/{finding.id}",
            patient_ref=patient[0],
            sex=patient[1],
            birth_date=patient[2],
            event_date=event,
            codes=_codes(c.code for c in codings if c.code and (c.system or "") in ICD10_SYSTEMS),
            report_text=report,
        )


def _validated(position: int, resource: dict):
    try:
        return MODELS[resource["resourceType"]].model_validate(resource)
    except pydantic.ValidationError as exc:
        raise Unreadable(position, _validation_message(resource, exc)) from None


def _patient_keys(entry: dict, patient) -> list[str]:
    keys = [f"Patient/{patient.id}"] if patient.id else []
    if entry.get("fullUrl"):
        keys.append(entry["fullUrl"])
        if "/Patient/" in entry["fullUrl"]:
            keys.append("Patient/" + entry["fullUrl"].rpartition("/Patient/")[2])
    return keys


def _patient_values(patient, identifier_system: str) -> tuple[str, str, date | None]:
    identifiers = [i for i in patient.identifier or [] if i.value]
    chosen = next((i for i in identifiers if identifier_system and i.system == identifier_system), None)
    ref = chosen or (identifiers[0] if identifiers else None)
    birth = patient.birthDate if isinstance(patient.birthDate, date) else None
    return (ref.value if ref else ""), _sex(patient.gender or ""), birth


# --- HL7 v2 --------------------------------------------------------------------------------------

# The fields a record reads, per segment (the highest, and those below it that are read); the rest
# of a message (NK1, IN1, AL1..., a PID's address, most of PV1) is not handed to the parser, which
# builds a container for every field and component it is given.
HL7_FIELDS: dict[str, tuple[int, frozenset[int] | None]] = {
    "MSH": (10, frozenset({9, 10})),
    "EVN": (2, None),
    "PID": (8, frozenset({3, 7, 8})),
    "PV1": (44, frozenset({44})),
    "DG1": (5, frozenset({3, 5})),
    "OBR": (7, frozenset({7})),
    "OBX": (5, None),
}
_SEGMENT_END = re.compile(r"\r\n|\r|\n")


def _messages(lines: Iterable[str]) -> Iterator[list[str]]:
    """Each message's segments (the lines from one MSH to the next). MLLP framing bytes and batch
    headers (FHS, BHS, BTS, FTS) are dropped."""
    segments: list[str] = []
    for raw in lines:
        line = raw.replace("\x0b", "").replace("\x1c", "").strip("\x00 \n")
        if not line:
            continue
        if line.startswith("MSH"):
            if segments:
                yield segments
            segments = [line]
        elif segments:
            segments.append(line)
        elif line[:3] not in {"FHS", "BHS", "BTS", "FTS"}:
            raise Unreadable(1, _("no MSH segment: not an HL7 v2 message"))
    if segments:
        yield segments


def _separators(msh: str) -> tuple[str, str, str]:
    """The message's field, component and repetition separators, as its MSH declares them."""
    field = msh[3:4] or "|"
    encoding = msh[4:8]
    return field, encoding[0:1] or "^", encoding[1:2] or "~"


def _needed(segments: list[str]) -> list[tuple[int, str]]:
    """The segments a record reads, with their place in the message (from 1). PV1 and EVN (their
    dates come after the diagnosis date) only when no DG1 gives the diagnosis date (DG1-5): most of
    the cost of parsing an ADT message is then saved."""
    field = _separators(segments[0])[0]
    kept = [(position, line) for position, line in enumerate(segments, start=1) if line[:3] in HL7_FIELDS]
    dated = any(line.startswith("DG1") and len(fields := line.split(field)) > 5 and fields[5] for _p, line in kept)
    if not dated:
        return kept
    return [(position, line) for position, line in kept if line[:3] not in ("PV1", "EVN")]


# The components read of a field that has several: (segment, field) -> how many, from the first.
HL7_COMPONENTS = {("MSH", 9): 2, ("PID", 3): 1, ("DG1", 3): 3}


def _read_fields(line: str, separators: tuple[str, str, str]) -> str:
    """The segment cut to the fields ``HL7_FIELDS`` names (the others emptied), each to the
    components read (PID-3: its first repetition's ID): what is read stays as it was, the parser,
    which builds a container for every field and component it is given, has less to build."""
    field, component, repetition = separators
    name = line[:3]
    last, kept = HL7_FIELDS[name]
    fields = line.split(field)
    if name == "MSH":  # MSH-1 is the separator itself: the split's fields are one behind
        fields = [value if n < 2 or n + 1 in kept else "" for n, value in enumerate(fields[:last])]
        numbers = {n + 1: n for n in range(2, len(fields))}
    else:
        fields = [value if n == 0 or kept is None or n in kept else "" for n, value in enumerate(fields[: last + 1])]
        numbers = {n: n for n in range(1, len(fields))}
    for (segment, number), count in HL7_COMPONENTS.items():
        index = numbers.get(number)
        if segment == name and index is not None and fields[index]:
            fields[index] = component.join(fields[index].split(repetition, 1)[0].split(component)[:count])
    return field.join(fields)


def _get(segment, field: int, component: int = 0) -> str:
    """One field's first repetition's component (from 0), ``""`` when the segment stops earlier."""
    try:
        value = segment[field][0]
    except IndexError:
        return ""
    if isinstance(value, str):
        return value if component == 0 else ""
    try:
        value = value[component]
    except IndexError:
        return ""
    return value if isinstance(value, str) else str(value[0] if value else "")


def read_hl7(lines: Iterable[str]) -> Iterator[SourceRecord]:
    found_message = False
    for number, segments in enumerate(_messages(lines), start=1):
        found_message = True
        try:
            kept = _needed(segments)
            separators = _separators(segments[0])
            message = hl7.parse("\r".join(_read_fields(line, separators) for _position, line in kept))
        except Exception as exc:  # python-hl7 raises plain exceptions on malformed text
            raise Unreadable(number, _("not a readable HL7 v2 message: %(problem)s") % {"problem": exc}) from None
        yield from _hl7_records(number, message, [position for position, _line in kept])
    if not found_message:
        raise Unreadable(1, _("no MSH segment: not an HL7 v2 message"))


def _hl7_records(number: int, message, positions: list[int]) -> Iterator[SourceRecord]:
    """The records of one parsed message; ``positions``: each parsed segment's place in the message
    as sent (the source_id names the PID's, or each report's OBR's)."""
    by_name: dict[str, list[tuple[int, object]]] = {}
    for position, segment in zip(positions, message, strict=True):
        by_name.setdefault(str(segment[0]), []).append((position, segment))
    msh = by_name["MSH"][0][1]
    kind, event = _get(msh, 9, 0), _get(msh, 9, 1)
    control_id = _get(msh, 10)
    if not control_id:
        raise Unreadable(number, _("MSH-10 (message control ID) is empty"))
    if not (kind == "ADT" and event in ADT_EVENTS) and not (kind == "ORU" and event == "R01"):
        return  # other messages (ADT^A02 transfers, ORM orders...) carry no case
    if "PID" not in by_name:
        raise Unreadable(
            number, _("%(type)s message %(id)s has no PID segment") % {"type": f"{kind}^{event}", "id": control_id}
        )
    pid_position, pid = by_name["PID"][0]
    diagnoses = [segment for _position, segment in by_name.get("DG1", ())]
    codes = _codes(_get(dg1, 3, 0) for dg1 in diagnoses if _get(dg1, 3, 2).upper() in ("", "I10", "ICD10", "ICD-10"))
    base_dates = [_get(dg1, 5) for dg1 in diagnoses]
    for name, field in (("PV1", 44), ("EVN", 2)):
        if name in by_name:
            base_dates.append(_get(by_name[name][0][1], field))
    patient = (_get(pid, 3, 0), _sex(_get(pid, 8)), _day(_get(pid, 7)[:8]))
    if kind == "ADT":
        yield _hl7_record(number, f"{control_id}:{pid_position}", patient, base_dates, codes, "")
        return
    # ORU^R01: each OBR starts a report; its OBX text values are the report.
    reports: list[tuple[int, object, list[str]]] = []
    for position, segment in zip(positions, message, strict=True):
        name = str(segment[0])
        if name == "OBR":
            reports.append((position, segment, []))
        elif name == "OBX" and _get(segment, 2).upper() in ("TX", "FT") and len(segment) > 5:
            if not reports:
                reports.append((pid_position, None, []))
            reports[-1][2].extend(message.unescape(str(value)) for value in segment[5] if str(value))
    if not reports:
        reports.append((pid_position, None, []))
    for position, obr, texts in reports:
        dates = [*base_dates, _get(obr, 7) if obr is not None else ""]
        report = " ".join(texts)[:MAX_REPORT_CHARS]
        yield _hl7_record(number, f"{control_id}:{position}", patient, dates, codes, report)


def _hl7_record(number, source_id, patient, dates, codes, report) -> SourceRecord:
    event = next((day for day in map(_day, dates) if day is not None), None)
    if event is None:
        raise Unreadable(
            number, _("message %(id)s has no event date (DG1-5, PV1-44, EVN-2 or OBR-7)") % {"id": source_id}
        )
    return SourceRecord(
        number=number,
        source_id=source_id,
        patient_ref=patient[0],
        sex=patient[1],
        birth_date=patient[2],
        event_date=event,
        codes=codes,
        report_text=report,
    )


# --- HL7 acknowledgements ------------------------------------------------------------------------

ACK_ACCEPT, ACK_REJECT = "AA", "AR"


def _header_fields(line: str) -> list[str]:
    separator = line[3:4] or "|"
    return line.split(separator)


def acknowledgements(text: str, *, code: str, note: str, sender: str, control_prefix: str) -> str:
    """An original-mode ACK for each message of ``text`` (``MSH`` then ``MSA|code|its MSH-10|note``),
    as an integration engine expects one per message; one ACK with an empty MSA-2 when no MSH could
    be read."""
    headers = [line for line in _SEGMENT_END.split(text.replace("\x0b", "")) if line.startswith("MSH")]
    now = datetime.now().strftime("%Y%m%d%H%M%S")  # noqa: DTZ005 - HL7 timestamps are the sender's local time
    note = note.replace("|", "/").replace("\r", " ").replace("\n", " ")[:200]
    acks = []
    for n, line in enumerate(headers or ["MSH|^~\\&"], start=1):
        fields = _header_fields(line) + [""] * 12
        trigger = fields[8].split(fields[1][:1] or "^")[1] if fields[1] and fields[1][:1] in fields[8] else ""
        version = fields[11] or "2.5"
        acks.append(
            f"MSH|^~\\&|FLS-REGISTRY|{sender}|{fields[2]}|{fields[3]}|{now}||ACK^{trigger}^ACK|"
            f"{control_prefix}{n}|P|{version}\rMSA|{code}|{fields[9]}|{note}\r"
        )
    return "".join(acks)
