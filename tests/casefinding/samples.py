"""Feeds shaped as hospitals send them: an ED extract in CSV, a FHIR searchset or collection, HL7
v2 ADT and ORU messages. Each builder takes the same plain records, so one case can be written in
every format."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Case:
    source_id: str
    patient_ref: str
    birth_date: str  # YYYY-MM-DD ("" for none)
    event_date: str
    codes: list[str] = field(default_factory=list)
    report: str = ""
    sex: str = "female"


def csv_feed(cases: list[Case], *, bom: bool = False, line_end: str = "\r\n") -> bytes:
    lines = ["source_id,patient_ref,sex,birth_date,event_date,codes,report_text"]
    for case in cases:
        report = '"' + case.report.replace('"', '""') + '"' if case.report else ""
        lines.append(
            f"{case.source_id},{case.patient_ref},{case.sex[0].upper()},{case.birth_date},{case.event_date},"
            f"{';'.join(case.codes)},{report}"
        )
    text = line_end.join(lines) + line_end
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def fhir_feed(cases: list[Case], *, bundle_type: str = "searchset", system: str = "urn:oid:1.2.3.4") -> bytes:
    """Conditions (codes, no report) and DiagnosticReports (a report); each case's Patient is
    included once, after the resources that name it, as a search with _include does."""
    entries, patients = [], {}
    for case in cases:
        pid = "p-" + case.patient_ref
        patients[pid] = {
            "resourceType": "Patient",
            "id": pid,
            "identifier": [
                {"system": "urn:other:insurance", "value": "INS" + case.patient_ref},
                {"system": system, "value": case.patient_ref},
            ],
            "gender": case.sex,
            **({"birthDate": case.birth_date} if case.birth_date else {}),
        }
        if case.report:
            resource = {
                "resourceType": "DiagnosticReport",
                "id": case.source_id,
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "24627-2", "display": "Chest CT"}]},
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": f"{case.event_date}T09:30:00+03:00",
                "issued": f"{case.event_date}T12:00:00+03:00",
                "conclusion": case.report,
                "conclusionCode": [
                    {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]} for code in case.codes
                ],
            }
        else:
            resource = {
                "resourceType": "Condition",
                "id": case.source_id,
                "clinicalStatus": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
                },
                "code": {
                    "coding": [
                        {"system": "http://snomed.info/sct", "code": "5913000", "display": "Fracture of neck of femur"},
                        *({"system": "http://hl7.org/fhir/sid/icd-10", "code": code} for code in case.codes),
                    ]
                },
                "subject": {"reference": f"Patient/{pid}"},
                "onsetDateTime": f"{case.event_date}T22:10:00+03:00",
                "recordedDate": f"{case.event_date}T23:00:00+03:00",
            }
        entries.append({"fullUrl": f"https://ehr.example/fhir/{resource['resourceType']}/{case.source_id}",
                        "resource": resource, "search": {"mode": "match"}})  # fmt: skip
    for pid, patient in patients.items():
        entries.append({"fullUrl": f"https://ehr.example/fhir/Patient/{pid}", "resource": patient,
                        "search": {"mode": "include"}})  # fmt: skip
    bundle = {"resourceType": "Bundle", "id": "b1", "type": bundle_type, "total": len(cases), "entry": entries}
    if bundle_type != "searchset":
        for entry in entries:
            entry.pop("search")
    return json.dumps(bundle, ensure_ascii=False).encode()


def _hl7_date(day: str) -> str:
    return day.replace("-", "")


def adt(case: Case, *, event: str = "A01", line_end: str = "\r") -> str:
    segments = [
        f"MSH|^~\\&|EPIC|CITYHOSP|FLS|CITYHOSP|{_hl7_date(case.event_date)}120000||ADT^{event}^ADT_A01|{case.source_id}|P|2.5.1",
        f"EVN|{event}|{_hl7_date(case.event_date)}115500",
        f"PID|1||{case.patient_ref}^^^CITYHOSP^MR~{case.patient_ref}9^^^NHS^NH||DOE^JANE^^^^^L||"
        f"{_hl7_date(case.birth_date)}|{case.sex[0].upper()}|||1 MAIN ST^^KAZAN^^420000^RU",
        "NK1|1|DOE^JOHN|SPO",
        f"PV1|1|E|ED^^^CITYHOSP||||1234^HOUSE^GREGORY|||ORT||||1|||1234^HOUSE^GREGORY|EM|V{case.source_id}",
    ]
    for n, code in enumerate(case.codes, start=1):
        segments.append(f"DG1|{n}||{code}^Diagnosis {code}^I10||{_hl7_date(case.event_date)}0930|A")
    segments.append("AL1|1|DA|PEN^Penicillin")
    return line_end.join(segments) + line_end


def oru(case: Case, *, line_end: str = "\r") -> str:
    lines = case.report.split("\n")
    segments = [
        f"MSH|^~\\&|RIS|CITYHOSP|FLS|CITYHOSP|{_hl7_date(case.event_date)}150000||ORU^R01^ORU_R01|{case.source_id}|P|2.4",
        f"PID|1||{case.patient_ref}^^^CITYHOSP^MR||DOE^JANE||{_hl7_date(case.birth_date)}|{case.sex[0].upper()}",
        f"OBR|1|ORD{case.source_id}|RAD{case.source_id}|71250^CT CHEST^CPT|||{_hl7_date(case.event_date)}0930|||||||||||||||||F",
    ]
    for n, line in enumerate(lines, start=1):
        text = line.replace("|", "\\F\\")
        segments.append(f"OBX|{n}|TX|71250^CT CHEST^CPT|{n}|{text}||||||F")
    for n, code in enumerate(case.codes, start=1):
        segments.append(f"DG1|{n}||{code}^Diagnosis^I10")
    return line_end.join(segments) + line_end


def hl7_feed(cases: list[Case], *, line_end: str = "\r", event: str = "A01") -> bytes:
    return "".join(
        oru(c, line_end=line_end) if c.report else adt(c, event=event, line_end=line_end) for c in cases
    ).encode()


FORMATS = {"csv": csv_feed, "fhir": fhir_feed, "hl7v2": hl7_feed}
