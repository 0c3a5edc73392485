"""Set-based KPI computation: one pass of conditional aggregates over the episodes.

``compute`` takes any number of programmes and periods and returns every numerator, denominator and
pending count in a single SQL statement (GROUP BY programme and period). Nothing here loops over
episodes in Python. ``episode_outcomes`` uses the same expressions per episode for the drill-down.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clinical.expressions import kpi_sql
from clinical.kpi_sets import KpiDefinition, KpiSet, get_kpi_set
from programmes import rls
from programmes.models import ExpectedCaseload, Programme


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")


def aggregate_columns(kpi_set: KpiSet) -> list[str]:
    """For each KPI: numerator, denominator, pending (conditional aggregates)."""
    columns = []
    for kpi in kpi_set.kpis:
        sql = kpi_sql(kpi)
        if not kpi.counts_caseload:
            columns += [
                f"count(*) FILTER (WHERE {sql.met})",
                f"count(*) FILTER (WHERE {sql.in_denominator})",
                f"count(*) FILTER (WHERE {sql.pending})",
            ]
        else:  # identification KPIs: the numerator is the population; the denominator comes from caseload
            columns += [f"count(*) FILTER (WHERE {sql.population})", "0", "0"]
    return columns


def _query(kpi_set: KpiSet, *, all_programmes: bool, periods: int) -> str:
    """One statement: a branch per period (UNION ALL), each a single pass of conditional aggregates.

    A plain range condition per branch lets PostgreSQL scan in parallel; a join to a list of
    periods would not.
    """
    where = "" if all_programmes else "AND e.programme_id = ANY(%(programmes)s)"
    aggregates = ", ".join(aggregate_columns(kpi_set))
    branches = [
        f"""SELECT e.programme_id, {index}, count(*), {aggregates}
            FROM patients_episode e
            WHERE e.fracture_date BETWEEN %(start_{index})s AND %(end_{index})s {where}
            GROUP BY e.programme_id"""  # noqa: S608 - constant SQL from the definitions; values are bound
        for index in range(periods)
    ]
    return "\nUNION ALL\n".join(branches)


@dataclass
class KpiValue:
    code: str
    name: str
    numerator: int
    denominator: int | None
    percent: float | None
    band: str | None
    pending: int
    note: str | None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "percent": self.percent,
            "band": self.band,
            "pending": self.pending,
            "note": self.note,
        }


def round_half_away(value: Decimal, places: str) -> Decimal:
    """Rounding half away from zero (values here are never negative)."""
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percent_of(numerator: int, denominator: int | None) -> float | None:
    """100 x numerator / denominator to one decimal, half away from zero (exact integer arithmetic)."""
    if not denominator:
        return None
    tenths = (2000 * numerator + denominator) // (2 * denominator)
    return tenths / 10


def band_of(kpi: KpiDefinition, percent: float | None) -> str | None:
    if percent is None:
        return None
    if kpi.bands == "single_50":
        return "green" if percent >= 50 else "red"
    if percent < 50:
        return "red"
    if percent <= 80:
        return "amber"
    return "green"


def expected_for_period(
    caseloads: dict[int, tuple[int, int]], period: Period, which: str
) -> tuple[int | None, str | None]:
    """The prorated expected caseload for the period, or (None, why not).

    Sum over the calendar years the period touches of expected × days in the period that year ÷
    days in that year, rounded half away from zero.
    """
    total = Decimal(0)
    missing = []
    for year in range(period.start.year, period.end.year + 1):
        first = max(period.start, date(year, 1, 1))
        last = min(period.end, date(year, 12, 31))
        days = (last - first).days + 1
        if year not in caseloads:
            missing.append(str(year))
            continue
        expected = caseloads[year][0 if which == "expected_non_spine" else 1]
        total += Decimal(expected) * days / (366 if calendar.isleap(year) else 365)
    if missing:
        return None, NOTE_CASELOAD_MISSING.format(years=", ".join(missing))
    rounded = int(round_half_away(total, "1"))
    if rounded == 0:
        return None, NOTE_CASELOAD_ZERO
    return rounded, None


# The notes stored with the figures are English, as the API's contract writes them (figures frozen
# in applications keep them); the pages and the PDF show them in the reader's language.
NOTE_CASELOAD_MISSING = "expected caseload not set for {years}"
NOTE_CASELOAD_ZERO = "expected caseload is 0 for this period"
_NOTES = (
    (re.compile(r"expected caseload not set for (?P<years>[0-9, ]+)"), _("expected caseload not set for %(years)s")),
    (re.compile(re.escape(NOTE_CASELOAD_ZERO)), _("expected caseload is 0 for this period")),
)


def note_text(note: str | None) -> str:
    """A stored note in the reader's language; a note this code does not know is shown as stored."""
    for pattern, message in _NOTES:
        match = pattern.fullmatch(note or "")
        if match:
            return message % match.groupdict()
    return note or ""


def _english_names(kpi_set: KpiSet) -> list[str]:
    """The contract's names are English whatever the language of the request."""
    with translation.override("en"):
        return [str(kpi.name) for kpi in kpi_set.kpis]


def _values(
    kpi_set: KpiSet, names: list[str], row: Sequence[int], period: Period, caseloads: dict[int, tuple[int, int]]
) -> list[KpiValue]:
    values = []
    for index, kpi in enumerate(kpi_set.kpis):
        numerator, denominator, pending = row[3 * index : 3 * index + 3]
        note = None  # the contract's note explains an unknown (null) denominator only
        if kpi.counts_caseload:
            denominator, note = expected_for_period(caseloads, period, kpi.denominator)
        percent = percent_of(numerator, denominator)
        values.append(
            KpiValue(kpi.code, names[index], numerator, denominator, percent, band_of(kpi, percent), pending, note)
        )
    return values


@dataclass
class Computed:
    programme_id: int
    period: Period
    episodes: int
    kpis: list[KpiValue]


def compute(
    *,
    periods: Sequence[Period],
    as_of: date,
    kpi_set: KpiSet | str,
    programme_ids: Iterable[int] | None = None,
) -> list[Computed]:
    """Every KPI of the set for each (programme, period): one SQL statement for all of them.

    ``programme_ids=None`` computes every programme (an explicit cross-programme read).
    Programmes without episodes in a period get zero counts. It reads within its caller's
    row-level scope: ``compute_for_programme`` sets the programme's, the nightly recompute the
    engine's named cross-programme path.
    """
    kpi_set = get_kpi_set(kpi_set) if isinstance(kpi_set, str) else kpi_set
    ids = None if programme_ids is None else list(programme_ids)
    params = {"as_of": as_of, "programmes": ids or []}
    for index, period in enumerate(periods):
        params[f"start_{index}"] = period.start
        params[f"end_{index}"] = period.end
    with connection.cursor() as cursor:
        cursor.execute(_query(kpi_set, all_programmes=ids is None, periods=len(periods)), params)
        rows = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    if ids is None:
        ids = list(Programme.objects.values_list("pk", flat=True))
    caseloads: dict[int, dict[int, tuple[int, int]]] = {pid: {} for pid in ids}
    for pid, year, non_spine, spine in (
        ExpectedCaseload.objects.all_programmes()
        .filter(programme_id__in=ids)
        .values_list("programme_id", "year", "non_spine", "spine")
    ):
        caseloads[pid][year] = (non_spine, spine)
    empty = (0,) * (1 + 3 * len(kpi_set.kpis))
    names = _english_names(kpi_set)
    results = []
    for pid in ids:
        for index, period in enumerate(periods):
            row = rows.get((pid, index), empty)
            results.append(Computed(pid, period, row[0], _values(kpi_set, names, row[1:], period, caseloads[pid])))
    return results


def compute_for_programme(
    programme: Programme, *, start: date, end: date, as_of: date, kpi_set: str | None = None
) -> dict:
    """The machine-readable result of kpis.md for one programme and period."""
    kpi_set = get_kpi_set(kpi_set or programme.kpi_set)
    period = Period(start, end)
    with rls.programme_scope(programme.pk):
        (result,) = compute(periods=[period], as_of=as_of, kpi_set=kpi_set, programme_ids=[programme.pk])
    return {
        "programme": programme.slug,
        "kpi_set": kpi_set.code,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "as_of": as_of.isoformat(),
        "episodes": result.episodes,
        "kpis": [value.as_dict() for value in result.kpis],
    }


def episode_outcomes(
    programme: Programme, kpi: KpiDefinition, *, period: Period, as_of: date, outcome: str = "not_met"
):
    """Ids of the programme's episodes in the period with this outcome for the KPI (the drill-down)."""
    expression = kpi_sql(kpi).outcome
    query = f"""
        SELECT e.id FROM patients_episode e
        WHERE e.programme_id = %(programme)s AND e.fracture_date BETWEEN %(start)s AND %(end)s
          AND ({expression}) = %(outcome)s
        ORDER BY e.fracture_date, e.id
    """  # noqa: S608 - constant SQL from the definitions
    with rls.programme_scope(programme.pk), connection.cursor() as cursor:
        cursor.execute(
            query,
            {"programme": programme.pk, "start": period.start, "end": period.end, "as_of": as_of, "outcome": outcome},
        )
        return [row[0] for row in cursor.fetchall()]
