"""The registry's scoring rule for Best Practice Recognition (recognition.md, "Scoring rule").

IOF does not publish one, so the rule is this registry's, kept in one place and shown on the
catalogue page. The thresholds are data (each catalogue version carries its own); the shape of the
rule is here: applications, reviewers' pages, the self-assessment and the ``recognition_level``
command all call these functions.

- A (standard, domain) pair is scored 0 (not met / no information), 1 bronze, 2 silver, 3 gold.
- A domain's level comes from the mean of its scores, compared unrounded with the thresholds.
- The overall level is the highest level that at least half of the applicable domains reach.
- A standard with KPI evidence gets a suggested score from the frozen KPI bands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

DOMAINS = ("hip", "inpatient", "outpatient", "vertebral", "organisation")
DOMAIN_NAMES = {
    "hip": _("Hip fractures"),
    "inpatient": _("Other inpatient fractures"),
    "outpatient": _("Outpatient fractures"),
    "vertebral": _("Vertebral fractures"),
    "organisation": _("Organisation"),
}
STANDARDS = range(1, 14)
SCORES = (0, 1, 2, 3)
GOLD, SILVER, BRONZE, NONE = "gold", "silver", "bronze", "none"
LEVELS = (GOLD, SILVER, BRONZE)  # best first
LEVEL_RANK = {NONE: 0, BRONZE: 1, SILVER: 2, GOLD: 3}
LEVEL_NAMES = {GOLD: _("Gold"), SILVER: _("Silver"), BRONZE: _("Bronze"), NONE: _("No level")}
SCORE_NAMES = {0: _("0: not met"), 1: _("1: bronze"), 2: _("2: silver"), 3: _("3: gold")}


@dataclass(frozen=True)
class Thresholds:
    """Lowest domain mean that reaches each level."""

    gold: Decimal = Decimal("2.5")
    silver: Decimal = Decimal("1.5")
    bronze: Decimal = Decimal("0.75")

    def level_of(self, mean: Fraction | None) -> str:
        if mean is None:
            return NONE
        for level in LEVELS:
            if mean >= Fraction(getattr(self, level)):
                return level
        return NONE


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class DomainResult:
    domain: str
    applicable: bool
    mean: Fraction | None
    level: str

    def as_dict(self) -> dict:
        mean = None if self.mean is None else round(float(self.mean), 4)
        return {"domain": self.domain, "applicable": self.applicable, "mean": mean, "level": self.level}


@dataclass(frozen=True)
class Result:
    domains: list[DomainResult]
    level: str

    def as_dict(self) -> dict:
        return {"domains": [d.as_dict() for d in self.domains], "level": self.level}

    def domain(self, code: str) -> DomainResult:
        return next(d for d in self.domains if d.domain == code)


def domain_result(domain: str, scores: Iterable[int | None], thresholds: Thresholds = DEFAULT_THRESHOLDS):
    """``None`` scores (not applicable) are ignored; a domain with no score is not applicable."""
    numbers = [score for score in scores if score is not None]
    if not numbers:
        return DomainResult(domain, False, None, NONE)
    mean = Fraction(sum(numbers), len(numbers))  # exact: 2.5 is 2.5, not 2.4999…
    return DomainResult(domain, True, mean, thresholds.level_of(mean))


def overall_level(domain_levels: Iterable[str]) -> str:
    """The highest level L that at least half of the applicable domains reach (L or better)."""
    levels = list(domain_levels)
    if not levels:
        return NONE
    for level in LEVELS:
        reaching = sum(1 for found in levels if LEVEL_RANK[found] >= LEVEL_RANK[level])
        if 2 * reaching >= len(levels):
            return level
    return NONE


def levels_for(scores: Mapping[tuple[str, int], int | None], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Result:
    """Every domain's level and the overall level from ``{(domain, standard): score or None}``."""
    by_domain: dict[str, list[int | None]] = {domain: [] for domain in DOMAINS}
    for (domain, _standard), score in scores.items():
        by_domain[domain].append(score)
    domains = [domain_result(domain, by_domain[domain], thresholds) for domain in DOMAINS]
    return Result(domains, overall_level(d.level for d in domains if d.applicable))


def suggested_score(kpi_values: Iterable[Mapping | None]) -> int:
    """From the frozen KPI values linked to a standard: every one green → 3, every one at least
    amber → 2, any with a percentage → 1, no data → 0."""
    values = list(kpi_values)
    if not values:
        return 0
    bands = [(value or {}).get("band") for value in values]
    if all(band == "green" for band in bands):
        return 3
    if all(band in ("green", "amber") for band in bands):
        return 2
    if any((value or {}).get("percent") is not None for value in values):
        return 1
    return 0


# The standards about finding patients (1: patient identification, 4: vertebral fractures): the
# review shows case finding's counts beside them.
IDENTIFICATION_STANDARDS = (1, 4)
