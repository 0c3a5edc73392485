"""The SQL that judges episodes, derived from the KPI definitions (``clinical.kpi_sets``).

One derivation serves every reader: the engine's aggregates (``kpis.engine``), the drill-down lists
and the episode page (``patients.selectors``) all use ``kpi_sql(kpi)``, so what a coordinator sees
on an episode and what the dashboard counts cannot drift apart. Expressions refer to the episode
as ``e`` and bind the as-of date as ``%(as_of)s``.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinical.kpi_sets import KpiDefinition, KpiSet

OUTCOMES = ("met", "not_met", "pending", "not_eligible")


def _ok(condition: str) -> str:
    """NULL (an unrecorded value) counts as false."""
    return f"COALESCE(({condition}), FALSE)"


@dataclass(frozen=True)
class KpiSql:
    """The SQL conditions of one KPI."""

    population: str
    mature: str
    event: str
    excluded: str
    counts_caseload: bool = False

    @property
    def in_denominator(self) -> str:
        return f"({self.population} AND {self.mature} AND NOT {self.excluded})"

    @property
    def met(self) -> str:
        return f"({self.in_denominator} AND {self.event})"

    @property
    def pending(self) -> str:
        """Only the KPI's population is ever pending (kpis.md, "Pending")."""
        return f"({self.population} AND NOT {self.mature})"

    @property
    def outcome(self) -> str:
        """One episode's outcome: 'met', 'not_met', 'pending' or 'not_eligible'.

        For the identification KPIs (caseload denominators) an episode of the population counts
        in the numerator: 'met'.
        """
        if self.counts_caseload:
            return f"CASE WHEN {self.population} THEN 'met' ELSE 'not_eligible' END"
        return (
            f"CASE WHEN NOT {self.population} THEN 'not_eligible' WHEN NOT {self.mature} THEN 'pending' "
            f"WHEN {self.excluded} THEN 'not_eligible' WHEN {self.event} THEN 'met' ELSE 'not_met' END"
        )


def completeness_event(kpi: KpiDefinition) -> str:
    """Every required item recorded (or not yet required).

    Items required under the same condition are grouped, so that each condition is evaluated once
    per episode (the engine runs this over every episode of every programme).
    """
    groups: dict[str, list[str]] = {}
    for item in kpi.required_items:
        groups.setdefault(item.required_when, []).append(_ok(item.recorded))
    parts = []
    for when, recorded in groups.items():
        everything = " AND ".join(recorded)
        parts.append(f"({everything})" if when == "TRUE" else f"(NOT {_ok(when)} OR ({everything}))")
    return " AND ".join(parts)


def missing_item_sql(item) -> str:
    """The item is required and not recorded."""
    return f"({_ok(item.required_when)} AND NOT {_ok(item.recorded)})"


def kpi_sql(kpi: KpiDefinition) -> KpiSql:
    population = _ok(kpi.population)
    event = _ok(completeness_event(kpi) if kpi.required_items else kpi.event)
    mature = "TRUE" if kpi.window is None else f"(e.fracture_date + {int(kpi.window)} <= %(as_of)s::date)"
    exclusions = []
    for exclusion in kpi.exclusions:
        if exclusion == "died_without_event":
            exclusions.append(
                f"(e.death_date IS NOT NULL AND e.death_date <= e.fracture_date + {int(kpi.window)} AND NOT {event})"
            )
        elif exclusion == "died_in_window":
            exclusions.append(f"(e.death_date IS NOT NULL AND e.death_date <= e.fracture_date + {int(kpi.window)})")
        else:
            exclusions.append(_ok(exclusion))
    excluded = "(" + " OR ".join(exclusions) + ")" if exclusions else "FALSE"
    return KpiSql(population, mature, event, excluded, kpi.counts_caseload)


def episode_judgement_columns(kpi_set: KpiSet) -> tuple[list[str], list[tuple[str, str]]]:
    """SELECT columns that judge one episode: per KPI its outcome and whether it is in the
    population, then one boolean per data-completeness item that is missing.

    Returns the SQL expressions and, in the same order, what each column means:
    ``("outcome", code)``, ``("population", code)`` or ``("missing", field)``.
    """
    columns: list[str] = []
    meaning: list[tuple[str, str]] = []
    for kpi in kpi_set.kpis:
        sql = kpi_sql(kpi)
        columns += [sql.outcome, sql.population]
        meaning += [("outcome", kpi.code), ("population", kpi.code)]
        for item in kpi.required_items:
            columns.append(missing_item_sql(item))
            meaning.append(("missing", item.field))
    return columns, meaning
