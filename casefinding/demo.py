"""Case finding in the demo (`make run`), through the real reading and the real decisions:

- Yaroslavl reads its emergency department's last week in HL7 v2 and its radiology system's
  reports in FHIR, with the Russian conclusions: its inbox holds a few open candidates, the report
  words that found a vertebral fracture marked.
- Lyon, whose application is with the reviewers, has read its emergency department's year: its
  coordinator has accepted or dismissed the candidates of all but the last month, so the reviewers
  see the counts beside the identification standards.

Once per programme: a programme that has read a feed is left as it is."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model

from casefinding import services, synthetic
from casefinding.models import Candidate, SeenRecord
from programmes import rls
from programmes.models import Programme

RECORD_NUMBERS = {
    "yaroslavl-rech": "urn:oid:1.2.643.5.1.13.13.12.2.76.1",
    "lyon-sud": "urn:oid:1.2.250.1.71.4.2.7",
}
DISMISS_REASONS = ["known_elsewhere", "not_fragility", "out_of_area", "deceased", "declined"]


def _coordinator(programme: Programme):
    return (
        get_user_model()
        .objects.filter(memberships__programme=programme, memberships__role__in=("coordinator", "lead"))
        .order_by("memberships__role", "pk")
        .first()
    )


def _fresh(programme: Programme) -> bool:
    with rls.programme_scope(programme.pk):
        return not SeenRecord.objects.for_programme(programme).exists()


def load(today: date) -> list[str]:
    done = []
    programmes = {p.slug: p for p in Programme.objects.filter(slug__in=RECORD_NUMBERS)}
    for slug, system in RECORD_NUMBERS.items():
        programme = programmes.get(slug)
        if programme is None or not _fresh(programme):
            continue
        programme.record_number_system = system
        programme.save(update_fields=["record_number_system"])
        if slug == "yaroslavl-rech":
            done.extend(_yaroslavl(programme, today, system))
        else:
            done.extend(_lyon(programme, today, system))
    return done


def _yaroslavl(programme: Programme, today: date, system: str) -> list[str]:
    week = today - timedelta(days=7)
    ed = "".join(synthetic.adt_messages(count=80, start=week, days=7, seed=31, prefix="YED", ref_prefix="ЯО-9"))
    radiology = synthetic.radiology_bundle(count=10, start=week, days=7, seed=32, system=system, ref_prefix="ЯО-8")
    lines = []
    for name, content, fmt in (("ED week (HL7 v2)", ed.encode(), "hl7v2"),
                               ("radiology (FHIR)", synthetic.as_bytes(radiology), "fhir")):  # fmt: skip
        counts = services.cases_find(programme=programme, content=content, fmt=fmt, via="demo")
        lines.append(f"{programme.slug} {name}: {counts.as_dict()}")
    return lines


def _lyon(programme: Programme, today: date, system: str) -> list[str]:
    start = date(today.year - 1, today.month, 1)
    ed = "".join(synthetic.adt_messages(count=400, start=start, days=(today - start).days, seed=41, prefix="LED"))
    counts = services.cases_find(programme=programme, content=ed.encode(), fmt="hl7v2", via="demo")
    actor = _coordinator(programme)
    decided = 0
    with rls.programme_scope(programme.pk):
        older = list(
            Candidate.objects.for_programme(programme)
            .filter(status=Candidate.Status.OPEN, event_date__lt=today - timedelta(days=30))
            .order_by("event_date", "pk")
        )
    for n, candidate in enumerate(older):
        if n % 3 == 2:
            services.candidate_dismiss(
                candidate=candidate, actor=actor, reason=DISMISS_REASONS[n % len(DISMISS_REASONS)]
            )
        else:
            services.candidate_accept(candidate=candidate, actor=actor, values=_episode_values(candidate, today))
        decided += 1
    return [f"{programme.slug} ED year (HL7 v2): {counts.as_dict()}; {decided} decided by the coordinator"]


def _episode_values(candidate: Candidate, today: date) -> dict:
    """What the coordinator records when accepting: the candidate's values, completed from the notes."""
    return {
        "patient_ref": candidate.patient_ref,
        "sex": candidate.sex if candidate.sex in ("female", "male") else "female",
        "birth_date": candidate.birth_date.isoformat(),
        "fracture_date": candidate.event_date.isoformat(),
        "fracture_site": candidate.site,
        "mechanism": "low_trauma_fall",
        "spine_detection": candidate.spine_detection or ("clinical" if candidate.site == "spine" else ""),
        "identification_date": min(today, candidate.event_date + timedelta(days=3)).isoformat(),
    }
