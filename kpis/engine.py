"""Set-based KPI computation: one pass of conditional aggregates over the episodes.

``compute`` takes any number of programmes and periods and returns every numerator, denominator and
pending count in a single SQL statement (GROUP BY programme and period). Nothing here loops over
episodes in Python. ``episode_outcomes`` uses the same expressions per episode for the drill-down.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clinical.expressions import kpi_sql
from clinical.kpi_sets import KpiDefinition, KpiSet, get_kpi_set
from programmes import rls
from programmes.bulk import statement_settings
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


def _query(kpi_set: KpiSet, *, all_programmes: bool) -> str:
    """One pass over the episodes of every period at once, grouped by programme and segment.

    The periods' starts and ends cut the dates into disjoint segments (``segment_bounds``); each
    episode falls in one, found by ``width_bucket``. Every figure is a count, so a period's figures
    are the sums of its segments': one scan however many periods overlap (five years, eight
    quarters and the rolling year of the nightly recompute read each episode once, not up to three
    times). docs/kpis.md tells why this replaced one scan per period.
    """
    where = "" if all_programmes else "AND e.programme_id = ANY(%(programmes)s)"
    aggregates = ", ".join(aggregate_columns(kpi_set))
    return f"""SELECT e.programme_id, width_bucket(e.fracture_date, %(bounds)s::date[]), count(*), {aggregates}
        FROM patients_episode e
        WHERE e.fracture_date >= %(first)s AND e.fracture_date < %(after_last)s {where}
        GROUP BY 1, 2"""  # noqa: S608 - constant SQL from the definitions; values are bound


def segment_bounds(periods: Sequence[Period]) -> tuple[list[date], list[list[int]]]:
    """The sorted first days of the segments (each period's start and the day after its end) and, for
    each period, the numbers of the segments it is made of (``width_bucket``'s numbering: segment
    ``n`` runs from ``bounds[n - 1]`` to the day before ``bounds[n]``)."""
    bounds = sorted({p.start for p in periods} | {p.end + timedelta(days=1) for p in periods})
    number = {day: index + 1 for index, day in enumerate(bounds)}
    return bounds, [list(range(number[p.start], number[p.end + timedelta(days=1)])) for p in periods]


# The engine's statement is one wide scan with dozens of aggregates. On PostgreSQL's stock settings
# two things made it slow, both measured (docs/kpis.md): JIT compilation, which PostgreSQL 15 turns on
# for any plan this costly and which took seconds to compile what it then ran in a fraction of that;
# and a 4 MB work_mem, with which the planner (which cannot know how few segments there are) sorts the
# groups on disk instead of hashing them in memory. Both apply to this statement only.
STATEMENT_SETTINGS = {"jit": "off", "work_mem": "32MB"}


def _run(sql: str, params: dict) -> list[tuple]:
    """Run the engine's statement with ``STATEMENT_SETTINGS``, put back as they were after it (a
    failure rolls them back with the savepoint)."""
    with transaction.atomic(), connection.cursor() as cursor, statement_settings(cursor, STATEMENT_SETTINGS):
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True, slots=True)
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


@functools.lru_cache(maxsize=4096)
def _expected(caseloads: tuple[tuple[int, tuple[int, int]], ...], period: Period, which: str):
    """``expected_for_period`` remembered: most programmes share their caseloads, and the nightly asks
    the same question for every programme and period."""
    return expected_for_period(dict(caseloads), period, which)


def _values(
    kpi_set: KpiSet, names: list[str], row: Sequence[int], period: Period, caseloads: tuple[tuple[int, tuple], ...]
) -> list[KpiValue]:
    """The KPI values of one (programme, period) from its counts; ``caseloads``: (year, (non-spine,
    spine)) pairs in year order."""
    values = []
    for index, kpi in enumerate(kpi_set.kpis):
        numerator, denominator, pending = row[3 * index : 3 * index + 3]
        note = None  # the contract's note explains an unknown (null) denominator only
        if kpi.counts_caseload:
            denominator, note = _expected(caseloads, period, kpi.denominator)
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
    bounds, segments_of = segment_bounds(periods)
    params = {"as_of": as_of, "programmes": ids or [], "bounds": bounds, "first": bounds[0], "after_last": bounds[-1]}
    segments: dict[int, dict[int, tuple[int, ...]]] = defaultdict(dict)
    for pid, segment, *counts in _run(_query(kpi_set, all_programmes=ids is None), params):
        segments[pid][segment] = counts
    if ids is None:
        ids = list(Programme.objects.values_list("pk", flat=True))
    caseloads: dict[int, dict[int, tuple[int, int]]] = {pid: {} for pid in ids}
    for pid, year, non_spine, spine in (
        ExpectedCaseload.objects.all_programmes()
        .filter(programme_id__in=ids)
        .values_list("programme_id", "year", "non_spine", "spine")
    ):
        caseloads[pid][year] = (non_spine, spine)
    width = 1 + 3 * len(kpi_set.kpis)
    names = _english_names(kpi_set)
    results = []
    # The same counts, period and caseloads give the same values (immutable, so shared): the many
    # programmes and periods without episodes are worked out once.
    known: dict[tuple, list[KpiValue]] = {}
    for pid in ids:
        found = segments.get(pid, {})
        frozen = tuple(sorted(caseloads[pid].items()))
        for period, numbers in zip(periods, segments_of, strict=True):
            parts = [found[n] for n in numbers if n in found]
            row = tuple(sum(column) for column in zip(*parts, strict=True)) if parts else (0,) * width
            key = (row, period, frozen)
            values = known.get(key)
            if values is None:
                values = known[key] = _values(kpi_set, names, row[1:], period, frozen)
            results.append(Computed(pid, period, row[0], values))
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
