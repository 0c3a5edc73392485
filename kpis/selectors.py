"""Reads of stored KPI results: the dashboard, the trend, benchmarking, the drill-down."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from clinical.kpi_sets import get_kpi_set
from kpis.models import KpiResult, KpiState, PeriodKind
from kpis.services import is_stale
from programmes.models import Programme

MINIMUM_PEERS = 5


def programme_results(programme: Programme):
    return KpiResult.objects.for_programme(programme).filter(kpi_set=programme.kpi_set)


def result_for(programme: Programme, kind: str, start=None) -> KpiResult | None:
    results = programme_results(programme).filter(period_kind=kind)
    if start is not None:
        results = results.filter(period_start=start)
    return results.order_by("-period_start").first()


def available_periods(programme: Programme) -> list[KpiResult]:
    return list(
        programme_results(programme)
        .only("period_kind", "period_start", "period_end")
        .order_by("period_kind", "-period_start")
    )


def trend(programme: Programme) -> list[KpiResult]:
    return list(programme_results(programme).filter(period_kind=PeriodKind.QUARTER).order_by("period_start")[:8])


def state_of(programme: Programme) -> dict:
    state = KpiState.objects.filter(programme=programme).first()
    return {
        "computed_at": state.computed_at if state else None,
        "as_of": state.as_of if state else None,
        "pending": is_stale(programme),
        "failed_at": state.failed_at if state else None,
    }


@dataclass
class Benchmark:
    scope: str
    contributors: int
    median: float | None
    q1: float | None
    q3: float | None

    @property
    def shown(self) -> bool:
        return self.contributors >= MINIMUM_PEERS


def _summary(scope: str, values: list[float]) -> Benchmark:
    if len(values) < MINIMUM_PEERS:
        return Benchmark(scope, len(values), None, None, None)
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Benchmark(scope, len(values), round(median, 1), round(q1, 1), round(q3, 1))


def benchmarks(result: KpiResult, country: str) -> dict[str, tuple[Benchmark, Benchmark]]:
    """Per KPI: (country, all programmes) from stored results of the same set and period.

    An explicit cross-programme read of aggregates, never of patient rows; a figure is shown only
    where at least five programmes contribute a percentage.
    """
    peers = (
        KpiResult.objects.all_programmes()
        .filter(kpi_set=result.kpi_set, period_start=result.period_start, period_end=result.period_end)
        .values_list("programme__country", "kpis")
    )
    by_kpi_all: dict[str, list[float]] = {}
    by_kpi_country: dict[str, list[float]] = {}
    for peer_country, kpis in peers:
        for value in kpis:
            if value["percent"] is None:
                continue
            by_kpi_all.setdefault(value["code"], []).append(value["percent"])
            if peer_country == country:
                by_kpi_country.setdefault(value["code"], []).append(value["percent"])
    codes = [k.code for k in get_kpi_set(result.kpi_set).kpis]
    return {
        code: (_summary("country", by_kpi_country.get(code, [])), _summary("all", by_kpi_all.get(code, [])))
        for code in codes
    }


def quarter_label(result: KpiResult) -> str:
    return f"{result.period_start.year} Q{(result.period_start.month - 1) // 3 + 1}"


def kpi_rows(kpi_set, values: dict[str, dict], quarters: list[KpiResult], peers: dict) -> list[dict]:
    """The KPI table of the dashboard and of the PDF: value, bar, trend and benchmarks per KPI."""
    from kpis import charts

    rows = []
    for kpi in kpi_set.kpis:
        value = values[kpi.code]
        points = [(quarter_label(q), (q.kpi(kpi.code) or {}).get("percent")) for q in quarters]
        country, everyone = peers.get(kpi.code, (None, None))
        rows.append(
            {
                "kpi": kpi,
                "value": value,
                "bar": charts.bar(value["percent"], value["band"]),
                "trend": charts.trend(points),
                "country": country,
                "all": everyone,
            }
        )
    return rows
