"""Synthetic hospital feeds for the demo and the benchmark: an emergency department's HL7 v2 ADT
messages and a radiology system's FHIR R4 DiagnosticReports, shaped as the real ones are (the
segments and resources a hospital sends, most of them not about a fracture at all).

Same seed, same feed."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta

# What brings a person to the emergency department: (ICD-10 codes, weight). Most visits are not
# fractures; of the fractures, some are of sites an FLS does not follow or from a road accident.
ED_DIAGNOSES = [
    (["R07.4"], 14),  # chest pain
    (["J18.9"], 10),  # pneumonia
    (["I21.9"], 5),  # myocardial infarction
    (["S06.0"], 6),  # concussion
    (["S93.4"], 6),  # sprained ankle
    (["N39.0"], 6),  # urinary tract infection
    (["R55"], 5),  # syncope
    (["S72.0", "W19"], 4),  # hip fracture after a fall
    (["S72.1", "W01"], 2),
    (["S52.5", "W01"], 4),  # wrist
    (["S42.2", "W19"], 3),  # proximal humerus
    (["S82.5", "W10"], 2),  # ankle
    (["S32.1", "W19"], 1),  # pelvis
    (["S22.3", "W18"], 1),  # rib
    (["S62.3", "W23"], 3),  # hand: not a fragility site
    (["S02.6", "W19"], 1),  # jaw: not a fragility site
    (["S52.5", "V43.5"], 2),  # wrist in a car accident: high energy
    (["S32.0", "M84.5", "C79.5"], 1),  # vertebra, metastatic: neoplastic
]
# Radiology conclusions (Russian, as the demo's Yaroslavl hospital writes them): (text, ICD-10 codes).
RADIOLOGY_RU = [
    (
        "КТ органов грудной клетки: очаговых изменений нет. Компрессионный перелом тела Th12 позвонка, "
        "снижение высоты на 30%.",
        [],
    ),  # fmt: skip
    (
        "Рентгенография поясничного отдела позвоночника: без признаков компрессионного перелома. Остеохондроз L4-L5.",
        [],
    ),  # fmt: skip
    ("МРТ грудного отдела: клиновидная деформация тела L1 позвонка.", []),
    ("КТ брюшной полости: патологии не выявлено.", []),
    ("КТ органов грудной клетки: двусторонняя пневмония. Нет перелома позвонка.", ["J18.9"]),
    ("Рентгенография грудной клетки: переломы позвонков Th7 и Th8, консолидированные.", []),
    ("КТ: остеопороз. Компрессионный перелом L2 позвонка.", ["M80.0"]),
]
SEXES = ["F"] * 7 + ["M"] * 3


def _weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def _birth(rng: random.Random, day: date) -> date:
    age = rng.choice([rng.randint(18, 49), rng.randint(50, 97), rng.randint(55, 95), rng.randint(65, 99)])
    return day - timedelta(days=age * 365 + rng.randint(0, 364))


def adt_messages(
    *, count: int, start: date, days: int, seed: int, prefix: str = "ED", ref_prefix: str = "MRN"
) -> Iterator[str]:
    """``count`` ADT^A01/A03/A08 messages of an emergency department over ``days`` from ``start``."""
    rng = random.Random(seed)
    for n in range(count):
        day = start + timedelta(days=rng.randrange(days))
        stamp = day.strftime("%Y%m%d")
        event = rng.choice(["A01", "A01", "A03", "A08"])
        ref = f"{ref_prefix}{rng.randint(100000, 999999)}"
        sex = rng.choice(SEXES)
        codes = _weighted(rng, ED_DIAGNOSES)
        segments = [
            f"MSH|^~\\&|EMIAS|ED|FLS|REGISTRY|{stamp}{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}00||"
            f"ADT^{event}^ADT_A01|{prefix}{seed}-{n}|P|2.5.1|||AL|NE|RUS|UNICODE UTF-8",
            f"EVN|{event}|{stamp}0900",
            f"PID|1||{ref}^^^HOSP^MR~{rng.randint(10**9, 10**10 - 1)}^^^OMS^HC||ИВАНОВА^ЕЛЕНА||"
            f"{_birth(rng, day):%Y%m%d}|{sex}|||ул. Советская 1^^Ярославль^^150000^RU",
            f"PV1|1|E|ED^1^1^HOSP||||{rng.randint(1000, 9999)}^ПЕТРОВ^ИВАН|||TRA||||7|||||V{seed}{n}|||||||||||||||||||||||||{stamp}0830",
        ]
        for position, code in enumerate(codes, start=1):
            segments.append(f"DG1|{position}||{code}^^I10||{stamp}0930|A")
        yield "\r".join(segments) + "\r"


def radiology_bundle(
    *, count: int, start: date, days: int, seed: int, system: str, ref_prefix: str = "MRN", reports=None
) -> dict:
    """A FHIR R4 searchset of ``count`` DiagnosticReports with their Patients (``_include``)."""
    rng = random.Random(seed)
    reports = reports or RADIOLOGY_RU
    entries, patients = [], []
    for n in range(count):
        day = start + timedelta(days=rng.randrange(days))
        pid = f"pat-{seed}-{n}"
        text, codes = reports[n % len(reports)]
        entries.append(
            {
                "fullUrl": f"https://pacs.example/fhir/DiagnosticReport/rad-{seed}-{n}",
                "resource": {
                    "resourceType": "DiagnosticReport",
                    "id": f"rad-{seed}-{n}",
                    "status": "final",
                    "category": [
                        {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}]}
                    ],
                    "code": {"text": "КТ"},
                    "subject": {"reference": f"Patient/{pid}"},
                    "effectiveDateTime": f"{day.isoformat()}T10:{rng.randint(10, 59)}:00+03:00",
                    "issued": f"{day.isoformat()}T15:00:00+03:00",
                    "conclusion": text,
                    "conclusionCode": [
                        {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]} for code in codes
                    ],
                },
                "search": {"mode": "match"},
            }
        )
        patients.append(
            {
                "fullUrl": f"https://pacs.example/fhir/Patient/{pid}",
                "resource": {
                    "resourceType": "Patient",
                    "id": pid,
                    "identifier": [
                        {"system": "urn:oid:1.2.643.100.3", "value": f"{rng.randint(10**10, 10**11 - 1)}"},
                        {"system": system, "value": f"{ref_prefix}{rng.randint(100000, 999999)}"},
                    ],
                    "gender": rng.choice(["female"] * 7 + ["male"] * 3),
                    "birthDate": _birth(rng, day).isoformat(),
                },
                "search": {"mode": "include"},
            }
        )
    return {"resourceType": "Bundle", "type": "searchset", "total": count, "entry": entries + patients}


def condition_bundle(*, count: int, start: date, days: int, seed: int, system: str) -> dict:
    """A FHIR R4 searchset of ``count`` Conditions (ED diagnoses) with their Patients."""
    rng = random.Random(seed)
    entries, patients = [], []
    for n in range(count):
        day = start + timedelta(days=rng.randrange(days))
        pid = f"cpat-{seed}-{n}"
        codes = _weighted(rng, ED_DIAGNOSES)
        entries.append(
            {
                "fullUrl": f"https://ehr.example/fhir/Condition/c-{seed}-{n}",
                "resource": {
                    "resourceType": "Condition",
                    "id": f"c-{seed}-{n}",
                    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code} for code in codes]},
                    "subject": {"reference": f"Patient/{pid}"},
                    "onsetDateTime": f"{day.isoformat()}T08:00:00+03:00",
                },
            }
        )
        patients.append(
            {
                "fullUrl": f"https://ehr.example/fhir/Patient/{pid}",
                "resource": {
                    "resourceType": "Patient",
                    "id": pid,
                    "identifier": [{"system": system, "value": f"MRN{rng.randint(100000, 999999)}"}],
                    "gender": rng.choice(["female", "male"]),
                    "birthDate": _birth(rng, day).isoformat(),
                },
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries + patients}


def as_bytes(bundle: dict) -> bytes:
    return json.dumps(bundle, ensure_ascii=False).encode()
