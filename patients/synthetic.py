"""Deterministic synthetic episodes: the demo data and the benchmarks use the same cohorts.

Every generated row satisfies ``patients.rules`` for the given ``today``; the pathway is
realistic enough to give KPI figures of every band (some windows met, some missed, some pending).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from patients import rules

SITES = [
    ("hip", 20),
    ("wrist", 20),
    ("spine", 15),
    ("humerus", 10),
    ("pelvis", 8),
    ("ankle", 8),
    ("rib", 6),
    ("other", 5),
    ("femur", 4),
    ("tibia_fibula", 4),
]
DRUGS = ["alendronate", "zoledronate", "denosumab", "risedronate", "teriparatide", "romosozumab", "ibandronate"]


def _pick(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def synthetic_episode(
    rng: random.Random, *, ref: str, fracture_date: date, today: date, birth_date=None, sex=None, quality: float = 0.0
):
    """One episode's CSV values (strings, blanks as "").

    ``quality`` (0 to 1) is how well the service works: 0 gives figures of every band (the
    benchmarks' and the tests' cohorts), 1 an exemplary service whose steps are nearly always done,
    and within their windows (the demo's gold programme)."""
    days = (today - fracture_date).days

    def likely(base: float) -> float:
        return base + (0.97 - base) * quality

    def sooner(latest: int, target: int) -> int:
        """The latest day a step happens on: moved towards the KPI's window as quality rises."""
        return round(latest - (latest - target) * quality)

    if birth_date is None:
        age = rng.randint(50, 95)
        anniversary = (
            fracture_date.replace(day=28) if (fracture_date.month, fracture_date.day) == (2, 29) else fracture_date
        )
        birth_date = anniversary.replace(year=fracture_date.year - age) - timedelta(days=rng.randint(1, 360))
    sex = sex or _pick(rng, [("female", 74), ("male", 25), ("unknown", 1)])
    site = _pick(rng, SITES)
    death = fracture_date + timedelta(days=rng.randint(5, 500)) if rng.random() < 0.04 else None
    if death is not None and death > today:
        death = None
    last = min(today, death) if death else today

    def on(offset_low, offset_high):
        """A date this many days after the fracture, or None if it has not happened (yet)."""
        day = fracture_date + timedelta(days=rng.randint(offset_low, offset_high))
        return day if day <= last else None

    row = dict.fromkeys(rules.COLUMNS, "")
    row.update(patient_ref=ref, sex=sex, birth_date=birth_date.isoformat(), fracture_date=fracture_date.isoformat())
    row["fracture_site"] = site
    if site == "spine":
        row["spine_detection"] = _pick(rng, [("clinical", 60), ("radiological", 40)])
    identified = on(0, 14)
    if identified:
        row["identification_date"] = identified.isoformat()
    if days < 3:
        return row
    roll = rng.random()
    assessed = on(1, sooner(110, 80)) if roll < likely(0.82) else None
    if assessed:
        row["fls_assessment"], row["fls_assessment_date"] = "yes", assessed.isoformat()
    elif roll < 0.92 and days > 90:
        row["fls_assessment"] = "no"
    roll = rng.random()
    scanned = on(5, sooner(130, 80)) if roll < likely(0.66) else None
    if scanned:
        row["dxa"], row["dxa_date"] = "yes", scanned.isoformat()
    elif roll < 0.76:
        row["dxa"] = "not_required"
    elif roll < 0.86 and days > 90:
        row["dxa"] = "no"
    row["falls_assessment"] = _pick(
        rng, [("yes", 60 + 30 * quality), ("referred", 15), ("no", 10 * (1 - quality)), ("", 15 * (1 - quality))]
    )
    recommended = _pick(rng, [("yes", 70 + 25 * quality), ("no", 20 - 17 * quality), ("", 10 * (1 - quality))])
    row["aom_recommended"] = recommended
    if recommended == "yes" and rng.random() < 0.9:
        row["aom_drug"] = rng.choice(DRUGS)
    first = on(85, sooner(150, 108)) if rng.random() < likely(0.78) else None
    if first:
        row["first_followup_date"] = first.isoformat()
    if recommended == "yes":
        started = on(10, sooner(130, 100)) if rng.random() < likely(0.72) else None
        if started:
            row["aom_started"], row["aom_started_date"] = "yes", started.isoformat()
        elif first:
            row["aom_started"] = "no"
    strength = on(20, sooner(125, 100)) if rng.random() < likely(0.45) else None
    if strength:
        row["sb_started"], row["sb_started_date"] = "yes", strength.isoformat()
    elif first and rng.random() < 0.7:
        row["sb_started"] = "no"
    if row["aom_started"] == "yes" and first and rng.random() < likely(0.75):
        second = on(330, sooner(400, 360))
        if second and second > first:
            row["second_followup_date"] = second.isoformat()
            row["aom_at_52w"] = _pick(rng, [("yes", 75 + 22 * quality), ("no", 25 - 22 * quality)])
    if death:
        row["death_date"] = death.isoformat()
    return row


def synthetic_cohort(
    *,
    count: int,
    start: date,
    end: date,
    today: date,
    seed: int = 1,
    prefix: str = "P",
    refracture_rate: float = 0.03,
    quality: float = 0.0,
) -> Iterator[dict]:
    """``count`` episodes with fracture dates spread over [start, end] (oldest first).

    A few patients have a second episode (a re-fracture), as in real services.
    """
    rng = random.Random(seed)
    span = max((min(end, today) - start).days, 0)
    previous: list[tuple[str, date, str, date]] = []
    refractures: set[tuple[str, date]] = set()
    for number in range(count):
        fracture = start + timedelta(days=(span * number) // max(count, 1) + rng.randint(0, 1) if span else 0)
        fracture = min(fracture, min(end, today))
        if previous and rng.random() < refracture_rate:
            ref, birth, sex, first_fracture = previous[rng.randrange(len(previous))]
            if fracture > first_fracture and (ref, fracture) not in refractures:
                refractures.add((ref, fracture))
                yield synthetic_episode(
                    rng, ref=ref, fracture_date=fracture, today=today, birth_date=birth, sex=sex, quality=quality
                )
                continue
        ref = f"{prefix}{number + 1:07d}"
        row = synthetic_episode(rng, ref=ref, fracture_date=fracture, today=today, quality=quality)
        if len(previous) < 5000:
            previous.append((ref, date.fromisoformat(row["birth_date"]), row["sex"], fracture))
        yield row
