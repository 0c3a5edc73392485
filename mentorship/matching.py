"""The transparent match score and the optimal cohort assignment. Pure: facts in, numbers out.

A candidate site and a champion score out of 100, in parts that are shown to people as they are
computed here (docs/mentorship.md explains each):

========================  ======  ===========================================================
part                      points  how
========================  ======  ===========================================================
language                  25      a shared teaching language; 10 if none is shared but the
                                  candidate accepts interpretation; otherwise no match at all
same country              10      the two sites are in the same country
distance                  20      20 × (1 − km / 3,000), great-circle, 0 from 3,000 km or when
                                  a site has no coordinates
care setting              10      the same setting; 5 when one of them is mixed
size                      10      10 × smaller / larger yearly fractures (0 when unknown)
strength where weak       15      15 × share of the candidate's weak topics (its own red or
                                  amber KPIs, else its country's) that are the champion's
                                  strengths (declared topics or green KPIs)
availability              10      10 × free seats in the next 6 months, counted up to 10
========================  ======  ===========================================================

For a cohort, each candidate is scored against each training day: the language part uses the
day's language, the other parts the day's champion. ``optimal_assignment`` then chooses at most one
seat per candidate, never more candidates on a day than its free seats, maximising the total
score (``scipy.optimize.linear_sum_assignment`` over the seats, with one "no seat" column per
candidate so that leaving someone unmatched is allowed when it raises the total).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext_lazy as _
from scipy.optimize import linear_sum_assignment

from programmes.labels import label, labels

WEIGHTS = {
    "language": 25.0,
    "country": 10.0,
    "distance": 20.0,
    "setting": 10.0,
    "size": 10.0,
    "strength": 15.0,
    "availability": 10.0,
}
INTERPRETED_LANGUAGE = 10.0
MIXED_SETTING = 5.0
DISTANCE_SCALE_KM = 3000.0
AVAILABILITY_FULL = 10
EARTH_RADIUS_KM = 6371.0088
PART_LABELS = {
    "language": _("Language"),
    "country": _("Same country"),
    "distance": _("Distance"),
    "setting": _("Care setting"),
    "size": _("Size"),
    "strength": _("Strength where weak"),
    "availability": _("Free seats, next 6 months"),
}


@dataclass(frozen=True)
class Site:
    """The facts of one site that matching reads (programme-level, never patient-level)."""

    key: int
    name: str = ""
    slug: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    languages: frozenset[str] = frozenset()
    care_setting: str = ""
    yearly_fractures: int | None = None
    topics: frozenset[str] = frozenset()  # a candidate's weak topics; a champion's strong topics
    accepts_interpretation: bool = False  # candidates
    free_seats: int = 0  # champions: free seats on their days in the next 6 months


@dataclass(frozen=True)
class Part:
    name: str
    points: float
    maximum: float
    detail: str

    @property
    def label(self):
        return PART_LABELS[self.name]


@dataclass(frozen=True)
class Match:
    champion: Site
    feasible: bool
    parts: tuple[Part, ...] = field(default_factory=tuple)

    @property
    def total(self) -> float:
        return round(sum(part.points for part in self.parts), 2) if self.feasible else 0.0


def distance_km(a: Site, b: Site) -> float | None:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def language_points(candidate: Site, languages: frozenset[str]) -> float | None:
    """None: no shared language and no interpretation accepted, so no match."""
    if candidate.languages & languages:
        return WEIGHTS["language"]
    return INTERPRETED_LANGUAGE if candidate.accepts_interpretation else None


def setting_points(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return WEIGHTS["setting"]
    return MIXED_SETTING if "mixed" in (a, b) else 0.0


def size_points(a: int | None, b: int | None) -> float:
    if not a or not b:
        return 0.0
    return WEIGHTS["size"] * min(a, b) / max(a, b)


def strength_points(weak: frozenset[str], strong: frozenset[str]) -> float:
    if not weak:
        return 0.0
    return WEIGHTS["strength"] * len(weak & strong) / len(weak)


def availability_points(free_seats: int) -> float:
    return WEIGHTS["availability"] * min(max(free_seats, 0), AVAILABILITY_FULL) / AVAILABILITY_FULL


def distance_points(km: float | None) -> float:
    if km is None:
        return 0.0
    return WEIGHTS["distance"] * max(0.0, 1.0 - km / DISTANCE_SCALE_KM)


def match(candidate: Site, champion: Site, languages: frozenset[str] | None = None) -> Match:
    """The score of one champion (or one of its days, in ``languages``) for one candidate, in parts."""
    languages = champion.languages if languages is None else languages
    language = language_points(candidate, languages)
    if language is None:
        return Match(champion, feasible=False)
    km = distance_km(candidate, champion)
    shared = sorted(candidate.languages & languages)
    weak = candidate.topics
    parts = (
        Part(
            "language",
            language,
            WEIGHTS["language"],
            labels("language", shared) if shared else str(_("with interpretation")),
        ),
        Part(
            "country",
            WEIGHTS["country"] if candidate.country and candidate.country == champion.country else 0.0,
            WEIGHTS["country"],
            label("country", champion.country),
        ),
        Part(
            "distance",
            distance_points(km),
            WEIGHTS["distance"],
            f"{km:,.0f} km" if km is not None else str(_("no coordinates")),
        ),
        Part(
            "setting",
            setting_points(candidate.care_setting, champion.care_setting),
            WEIGHTS["setting"],
            f"{label('care_setting', candidate.care_setting) or '?'} / {label('care_setting', champion.care_setting) or '?'}",
        ),
        Part(
            "size",
            size_points(candidate.yearly_fractures, champion.yearly_fractures),
            WEIGHTS["size"],
            f"{candidate.yearly_fractures or '?'} / {champion.yearly_fractures or '?'}",
        ),
        Part(
            "strength",
            strength_points(weak, champion.topics),
            WEIGHTS["strength"],
            f"{len(weak & champion.topics)} / {len(weak)}" if weak else str(_("no weak KPIs known")),
        ),
        Part(
            "availability",
            availability_points(champion.free_seats),
            WEIGHTS["availability"],
            str(champion.free_seats),
        ),
    )
    return Match(
        champion, feasible=True, parts=tuple(Part(p.name, round(p.points, 2), p.maximum, p.detail) for p in parts)
    )


def rank(candidate: Site, champions: list[Site]) -> list[Match]:
    """Champions for one candidate, best first; those without a usable language last."""
    matches = [match(candidate, champion) for champion in champions]
    return sorted(matches, key=lambda m: (not m.feasible, -m.total, m.champion.name))


# --- Cohort -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """A training day's free seats, for the cohort: ``champion`` indexes the champions list."""

    key: int
    champion: int
    language: str
    free_seats: int


def score_matrix(candidates: list[Site], champions: list[Site], days: list[Day]) -> np.ndarray:
    """Scores of every candidate (rows) for every day (columns); NaN where no language is usable.

    Vectorised over the same formulas as ``match`` (a test checks they agree).
    """
    n, m = len(candidates), len(champions)
    if n == 0 or not days:
        return np.zeros((n, len(days)))
    c_lat = np.array([np.nan if c.latitude is None else c.latitude for c in candidates], dtype=float)
    c_lon = np.array([np.nan if c.longitude is None else c.longitude for c in candidates], dtype=float)
    h_lat = np.array([np.nan if h.latitude is None else h.latitude for h in champions], dtype=float)
    h_lon = np.array([np.nan if h.longitude is None else h.longitude for h in champions], dtype=float)
    lat1, lon1 = np.radians(c_lat)[:, None], np.radians(c_lon)[:, None]
    lat2, lon2 = np.radians(h_lat)[None, :], np.radians(h_lon)[None, :]
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    distance = np.where(np.isnan(km), 0.0, WEIGHTS["distance"] * np.maximum(0.0, 1.0 - km / DISTANCE_SCALE_KM))

    # Every part but the language depends on the champion only: candidates × champions, summed.
    champion_part = distance + np.array(
        [[WEIGHTS["country"] if c.country and c.country == h.country else 0.0 for h in champions] for c in candidates]
    )
    champion_part += np.array([[setting_points(c.care_setting, h.care_setting) for h in champions] for c in candidates])
    c_size = np.array([c.yearly_fractures or 0 for c in candidates], dtype=float)[:, None]
    h_size = np.array([h.yearly_fractures or 0 for h in champions], dtype=float)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        size = WEIGHTS["size"] * np.minimum(c_size, h_size) / np.maximum(c_size, h_size)
    champion_part += np.where((c_size > 0) & (h_size > 0), size, 0.0)
    topics = sorted({t for site in (*candidates, *champions) for t in site.topics})
    index = {t: i for i, t in enumerate(topics)}
    weak = np.zeros((n, len(topics)))
    strong = np.zeros((m, len(topics)))
    for i, c in enumerate(candidates):
        weak[i, [index[t] for t in c.topics]] = 1
    for j, champion in enumerate(champions):
        strong[j, [index[t] for t in champion.topics]] = 1
    weak_count = weak.sum(axis=1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        strength = np.where(weak_count > 0, WEIGHTS["strength"] * (weak @ strong.T) / weak_count, 0.0)
    champion_part += strength
    champion_part += np.array([availability_points(h.free_seats) for h in champions])[None, :]

    day_champion = np.array([d.champion for d in days])
    scores = champion_part[:, day_champion]
    languages = sorted({d.language for d in days})
    for language in languages:
        columns = np.array([d.language == language for d in days])
        shared = np.array([language in c.languages for c in candidates])
        interpreted = np.array([c.accepts_interpretation for c in candidates])
        points = np.where(shared, WEIGHTS["language"], np.where(interpreted, INTERPRETED_LANGUAGE, np.nan))
        scores[:, columns] += points[:, None]
    return scores


def optimal_assignment(scores: np.ndarray, seats: list[int]) -> list[tuple[int, int]]:
    """(candidate row, day column) pairs maximising the total score; each candidate at most once,
    each day at most ``seats[column]`` times; NaN pairs are never chosen."""
    n = scores.shape[0]
    columns = [day for day, count in enumerate(seats) for _seat in range(max(count, 0))]
    if n == 0 or not columns:
        return []
    expanded = scores[:, columns]
    # Forbidden pairs cost more than all the scores together could ever give back.
    forbidden = -(np.nansum(np.abs(expanded)) + 1.0) * 2
    weights = np.where(np.isnan(expanded), forbidden, expanded)
    # One "no seat" column per candidate, worth 0: leaving someone out is allowed.
    weights = np.hstack([weights, np.full((n, n), forbidden)])
    weights[np.arange(n), len(columns) + np.arange(n)] = 0.0
    rows, chosen = linear_sum_assignment(weights, maximize=True)
    pairs = []
    for row, column in zip(rows, chosen, strict=True):
        if column < len(columns) and not np.isnan(expanded[row, column]):
            pairs.append((int(row), columns[column]))
    return sorted(pairs)


def greedy_assignment(scores: np.ndarray, seats: list[int]) -> list[tuple[int, int]]:
    """The best remaining pair first: what a person would do by hand (the benchmark's comparison)."""
    free = list(seats)
    taken: set[int] = set()
    pairs = []
    rows, cols = np.where(~np.isnan(scores))
    order = np.argsort(-scores[rows, cols], kind="stable")
    for k in order:
        row, col = int(rows[k]), int(cols[k])
        if row in taken or free[col] <= 0:
            continue
        taken.add(row)
        free[col] -= 1
        pairs.append((row, col))
    return sorted(pairs)


def total(scores: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    return float(sum(scores[row, col] for row, col in pairs))
