"""Writes of the KPI side: stored results (recomputation) and reports."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import orjson
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import clock
from accounts.language import language_of, offered
from clinical.kpi_sets import get_kpi_set
from kpis.engine import Period, compute
from kpis.models import KpiReport, KpiResult, KpiState, PeriodKind
from programmes import rls
from programmes.bulk import copy_escape, copy_into
from programmes.models import Programme

logger = logging.getLogger(__name__)
# A recompute waits this long after the edit that queued it, so that a burst of edits makes one
# (bench/freshness_bench.py: edit to dashboard p95 < 3 s with a worker).
RECOMPUTE_DELAY_SECONDS = 1
# The "queued" mark lives at most this long: a task lost with the broker frees it for the next edit.
COALESCE_SECONDS = 20
YEARS_KEPT = 5
QUARTERS_KEPT = 8


@dataclass(frozen=True)
class NamedPeriod:
    kind: str
    period: Period


def quarter_of(day: date) -> Period:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return Period(start, next_start - timedelta(days=1))


def rolling_year(as_of: date) -> Period:
    """The 12 months up to and including ``as_of``: from the day after the same date a year before."""
    try:
        year_before = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February
        year_before = date(as_of.year - 1, 2, 28)
    return Period(year_before + timedelta(days=1), as_of)


def standard_periods(as_of: date) -> list[NamedPeriod]:
    """The periods kept for every programme: the last 5 calendar years, the last 8 quarters
    (the trend), and the 12 months up to the as-of date."""
    periods = [
        NamedPeriod(PeriodKind.YEAR, Period(date(year, 1, 1), date(year, 12, 31)))
        for year in range(as_of.year - YEARS_KEPT + 1, as_of.year + 1)
    ]
    quarter = quarter_of(as_of)
    quarters = []
    for _ in range(QUARTERS_KEPT):
        quarters.append(NamedPeriod(PeriodKind.QUARTER, quarter))
        quarter = quarter_of(quarter.start - timedelta(days=1))
    periods += reversed(quarters)
    periods.append(NamedPeriod(PeriodKind.ROLLING, rolling_year(as_of)))
    return periods


def _rows_for(kpi_set: str, programme_ids: list[int] | None, named: list[NamedPeriod], as_of: date) -> list[dict]:
    """Computed figures of these programmes (None: every programme) as rows for ``results_store``."""
    kinds = {named_period.period: named_period.kind for named_period in named}
    computed = compute(
        periods=[n.period for n in named], as_of=as_of, kpi_set=get_kpi_set(kpi_set), programme_ids=programme_ids
    )
    # The values go as they are: orjson writes a dataclass as the contract's dict (its fields in order).
    return [
        {
            "programme_id": result.programme_id,
            "kpi_set": kpi_set,
            "period_kind": kinds[result.period],
            "period_start": result.period.start.isoformat(),
            "period_end": result.period.end.isoformat(),
            "episodes": result.episodes,
            "kpis": result.kpis,
        }
        for result in computed
    ]


def _store_batch(kpi_set: str, programme_ids: list[int] | None, named, as_of: date, started) -> int:
    """Compute and store one batch in a savepoint: a failure leaves nothing of the batch behind."""
    with rls.all_programmes(rls.Reason.KPI_ENGINE):
        rows = _rows_for(kpi_set, programme_ids, named, as_of)
        results_store(rows, as_of=as_of, computed_at=started)
    return len(rows)


@transaction.atomic
def results_recompute(*, programme_ids: list[int] | None = None, as_of: date | None = None) -> int:
    """Compute and store every standard period for these programmes (None: all), all at once.

    ``as_of`` is each programme's own date (accounts/clock.py: at 20:30 UTC a programme in Taipei is
    on tomorrow, one in Lima on today) unless one is given for all. Set-based: one statement per KPI
    set and date for all its programmes. If that fails, the programmes of the set are computed one
    by one, so that a programme whose computation fails for any reason is logged and marked
    (``KpiState.failed_at``, ``error``) and never stops the others. Upserts on the natural key, so
    running it twice gives the same rows. Returns the number of rows stored.
    """
    started = timezone.now()
    programmes = Programme.objects.all() if programme_ids is None else Programme.objects.filter(pk__in=programme_ids)
    rows = list(programmes.values_list("pk", "data_changed_at", "kpi_set", "time_zone"))
    marks = {pid: mark for pid, mark, _kpi_set, _zone in rows}
    day_of_zone = {} if as_of else clock.dates_in((zone for *_rest, zone in rows), started)
    days: dict[int, date] = {}
    groups: dict[tuple[str, date], list[int]] = defaultdict(list)
    for pid, _mark, kpi_set, zone in rows:
        days[pid] = as_of or day_of_zone[zone]
        groups[(kpi_set, days[pid])].append(pid)
    stored = 0
    failed: dict[int, str] = {}
    for (kpi_set, day), ids in groups.items():
        named = standard_periods(day)
        whole = programme_ids is None and len(groups) == 1  # every programme: no list of ids to send
        try:
            stored += _store_batch(kpi_set, None if whole else ids, named, day, started)
            continue
        except Exception:  # noqa: BLE001 - one programme's failure must not stop the others
            logger.exception("KPI recompute of %s programmes on set %s failed; retrying one by one", len(ids), kpi_set)
        for pid in ids:
            try:
                stored += _store_batch(kpi_set, [pid], named, day, started)
            except Exception as exc:  # noqa: BLE001 - logged, marked, and the next programme goes on
                logger.exception("KPI recompute failed for programme %s (set %s)", pid, kpi_set)
                failed[pid] = f"{type(exc).__name__}: {exc}"[:2000]
    done = [pid for pid in marks if pid not in failed]
    # The rolling period moves every day: drop the older rolling rows of these programmes.
    by_day: dict[date, list[int]] = defaultdict(list)
    for pid in done:
        by_day[days[pid]].append(pid)
    for day, ids in by_day.items():
        KpiResult.objects.filter(period_kind=PeriodKind.ROLLING, programme_id__in=ids).exclude(period_end=day).delete()
    KpiState.objects.bulk_create(
        [KpiState(programme_id=pid, data_mark=marks[pid], computed_at=started, as_of=days[pid]) for pid in done],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["programme"],
        update_fields=["data_mark", "computed_at", "as_of", "failed_at", "error"],
    )
    KpiState.objects.bulk_create(
        [KpiState(programme_id=pid, failed_at=started, error=error) for pid, error in failed.items()],
        update_conflicts=True,
        unique_fields=["programme"],
        update_fields=["failed_at", "error"],
    )
    if failed:
        KpiState.objects.filter(programme_id__in=list(failed)).update(failures=F("failures") + 1)
    return stored


def programmes_on_a_new_day() -> list[int]:
    """Programmes whose own date has passed the date their figures are for (or never computed):
    asked every hour, so each programme is recomputed within the hour after its local midnight."""
    rows = list(Programme.objects.values_list("pk", "time_zone", "kpi_state__as_of"))
    day_of_zone = clock.dates_in((zone for _pid, zone, _day in rows), timezone.now())
    return [pid for pid, zone, computed_for in rows if computed_for is None or computed_for < day_of_zone[zone]]


_COLUMNS = ["programme_id", "kpi_set", "period_kind", "period_start", "period_end", "as_of", "computed_at", "episodes",
            "kpis"]  # fmt: skip
_UPSERT = """ON CONFLICT (programme_id, kpi_set, period_start, period_end) DO UPDATE SET
    period_kind = EXCLUDED.period_kind, as_of = EXCLUDED.as_of, computed_at = EXCLUDED.computed_at,
    episodes = EXCLUDED.episodes, kpis = EXCLUDED.kpis"""


@transaction.atomic
def results_store(rows: list[dict], *, as_of: date, computed_at) -> None:
    """Upsert results on their natural key: COPY into a staging table, then one INSERT ... ON
    CONFLICT (programmes.bulk). The nightly stores some 14,000 rows; COPY sends them as rows, each
    document encoded by orjson, instead of one JSON parameter PostgreSQL would parse whole
    (docs/kpis.md)."""
    as_of_text, computed_text = as_of.isoformat(), computed_at.isoformat()
    encoded: dict[int, str] = {}  # rows share their values' list when their figures are the same
    lines = []
    for row in rows:
        kpis = row["kpis"]
        document = encoded.get(id(kpis))
        if document is None:
            document = encoded[id(kpis)] = copy_escape(orjson.dumps(kpis).decode())
        lines.append(
            f"{row['programme_id']}\t{row['kpi_set']}\t{row['period_kind']}\t{row['period_start']}\t"
            f"{row['period_end']}\t{as_of_text}\t{computed_text}\t{row['episodes']}\t{document}\n"
        )
    with connection.cursor() as cursor:
        copy_into(cursor.cursor, "kpis_kpiresult", _COLUMNS, "".join(lines), on_conflict=_UPSERT)


def stale_programme_ids() -> list[int]:
    """Programmes whose data changed after their figures were computed (or never computed)."""
    return list(
        Programme.objects.filter(data_changed_at__isnull=False)
        .filter(
            Q(kpi_state__isnull=True)
            | Q(kpi_state__data_mark__isnull=True)
            | Q(data_changed_at__gt=F("kpi_state__data_mark"))
        )
        .values_list("pk", flat=True)
    )


def is_stale(programme: Programme) -> bool:
    state = KpiState.objects.filter(programme=programme).first()
    if programme.data_changed_at is None:
        return state is None
    return state is None or state.data_mark is None or programme.data_changed_at > state.data_mark


def recompute_queued_key(programme_id: int) -> str:
    """The cache key that says a recompute of this programme is queued (coalescing)."""
    return f"kpis:recompute-queued:{programme_id}"


def schedule_recompute(programme_id: int) -> bool:
    """Ask a worker to recompute soon. Many edits in a short time make one request (coalescing).

    Returns False when the request could not be queued (the broker is down): the programme stays
    marked as changed and the periodic sweep recomputes it when the broker is back.
    """
    from kpis.tasks import recompute_programme

    key = recompute_queued_key(programme_id)
    if not cache.add(key, 1, timeout=COALESCE_SECONDS):
        return True  # a recompute is already queued; it will read the latest data
    try:
        recompute_programme.apply_async(args=[programme_id], countdown=RECOMPUTE_DELAY_SECONDS, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: leave it to the sweep
        cache.delete(key)
        logger.warning("could not queue a KPI recompute for programme %s; the sweep will catch up", programme_id)
        return False
    return True


@transaction.atomic
def report_request(
    *, programme: Programme, actor, start: date, end: date, as_of: date, language: str = ""
) -> KpiReport:
    """Ask for a PDF report; ``language`` is the asker's (the page they asked from), else theirs."""
    from kpis.tasks import render_report

    report = KpiReport.objects.create(
        programme=programme,
        requested_by=actor,
        language=offered(language) or language_of(actor, *programme.languages),
        kpi_set=programme.kpi_set,
        period_start=start,
        period_end=end,
        as_of=as_of,
    )
    report_id = report.pk
    transaction.on_commit(lambda: render_report.delay(report_id))
    return report
