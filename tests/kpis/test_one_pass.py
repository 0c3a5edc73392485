"""The engine computes many periods in one pass (disjoint segments summed per period): the figures
are those of each period computed on its own, and the statement's settings stay its own."""

import random
from datetime import date, timedelta

from django.db import connection, transaction

from kpis.engine import STATEMENT_SETTINGS, Period, compute, segment_bounds
from kpis.reference import reference_kpis
from kpis.services import standard_periods
from patients.importer import episodes_import
from patients.models import Episode
from patients.synthetic import synthetic_cohort
from programmes.models import ExpectedCaseload
from programmes.rls import Reason, all_programmes, programme_scope


def test_segments_cut_overlapping_periods_into_disjoint_runs_of_days():
    periods = [
        Period(date(2025, 1, 1), date(2025, 12, 31)),
        Period(date(2025, 4, 1), date(2025, 6, 30)),
        Period(date(2025, 7, 1), date(2026, 6, 30)),
        Period(date(2027, 1, 1), date(2027, 1, 1)),
    ]
    bounds, segments_of = segment_bounds(periods)
    assert bounds == [
        date(2025, 1, 1),
        date(2025, 4, 1),
        date(2025, 7, 1),
        date(2026, 1, 1),
        date(2026, 7, 1),
        date(2027, 1, 1),
        date(2027, 1, 2),
    ]
    assert segments_of == [[1, 2, 3], [2], [3, 4], [6]]  # segment 5 (the gap) belongs to none
    for period, numbers in zip(periods, segments_of, strict=True):
        days = sum(((bounds[n] - bounds[n - 1]).days for n in numbers), 0)
        assert days == (period.end - period.start).days + 1


def test_the_standard_periods_in_one_pass_equal_each_period_on_its_own_and_the_reference(programme, other_programme):
    today = date(2026, 11, 1)
    for seed, target in ((7, programme), (8, other_programme)):
        rows = synthetic_cohort(count=300, start=date(2022, 3, 1), end=today, today=today, seed=seed)
        episodes_import(programme=target, rows=[(n + 2, r, []) for n, r in enumerate(rows)], today=today)
    for year in range(2022, 2027):
        ExpectedCaseload.objects.create(programme=programme, year=year, non_spine=90, spine=20)
    periods = [named.period for named in standard_periods(today)]
    with all_programmes(Reason.KPI_ENGINE):
        together = compute(periods=periods, as_of=today, kpi_set="iof-2020")
    by_key = {(c.programme_id, c.period): c for c in together}
    assert {c.programme_id for c in together} >= {programme.pk, other_programme.pk}
    with programme_scope(programme.pk):
        episodes = [e.values() for e in Episode.objects.for_programme(programme).select_related("patient")]
    caseloads = dict.fromkeys(range(2022, 2027), (90, 20))
    rng = random.Random(1)
    for period in periods:
        with programme_scope(programme.pk):
            (alone,) = compute(periods=[period], as_of=today, kpi_set="iof-2020", programme_ids=[programme.pk])
        one_pass = by_key[(programme.pk, period)]
        assert (one_pass.episodes, one_pass.kpis) == (alone.episodes, alone.kpis)
        if rng.random() < 0.5:  # the naive reference too, on half of them (it is slow)
            naive = reference_kpis(episodes, period=period, as_of=today, caseloads=caseloads)
            assert one_pass.episodes == naive["episodes"]
            assert [
                {k: v for k, v in value.as_dict().items() if k not in ("name", "note")} for value in one_pass.kpis
            ] == naive["kpis"]


def test_the_engine_statement_settings_are_put_back(programme):
    def current():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(["current_setting(%s)"] * len(STATEMENT_SETTINGS)), list(STATEMENT_SETTINGS)
            )
            return cursor.fetchone()

    with transaction.atomic(), programme_scope(programme.pk):
        before = current()
        assert before != tuple(STATEMENT_SETTINGS.values())
        compute(periods=[Period(date(2025, 1, 1), date(2025, 12, 31))], as_of=date(2026, 1, 1), kpi_set="iof-2020",
                programme_ids=[programme.pk])  # fmt: skip
        assert current() == before


def test_the_policy_functions_let_postgresql_scan_in_parallel(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proparallel FROM pg_proc WHERE proname IN ('fls_all_programmes', 'fls_transaction_nonce')"
        )
        # Restricted: run in the leader only (they read its process id), and no longer unsafe, which
        # kept every query on a protected table from a parallel plan.
        assert dict(cursor.fetchall()) == {"fls_all_programmes": "r", "fls_transaction_nonce": "r"}


def test_a_cross_programme_count_of_episodes_can_run_in_parallel(programme):
    today = date(2026, 11, 1)
    rows = synthetic_cohort(count=50, start=today - timedelta(days=300), end=today, today=today, seed=3)
    episodes_import(programme=programme, rows=[(n + 2, r, []) for n, r in enumerate(rows)], today=today)
    with all_programmes(Reason.KPI_ENGINE), connection.cursor() as cursor:
        for setting in ("parallel_setup_cost = 0", "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0"):
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute("EXPLAIN SELECT count(*) FROM patients_episode")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT count(*) FROM patients_episode")
        assert cursor.fetchone()[0] == 50
    assert "Gather" in plan


def test_the_stored_figures_are_the_contracts_dicts(programme):
    from kpis.models import KpiResult
    from kpis.services import results_recompute

    today = date(2026, 11, 1)
    rows = synthetic_cohort(count=40, start=today - timedelta(days=500), end=today, today=today, seed=4)
    episodes_import(programme=programme, rows=[(n + 2, r, []) for n, r in enumerate(rows)], today=today)
    ExpectedCaseload.objects.create(programme=programme, year=2026, non_spine=0, spine=0)  # a note is stored
    results_recompute(programme_ids=[programme.pk], as_of=today)
    with programme_scope(programme.pk):
        stored = {(r.period_start, r.period_end): r for r in KpiResult.objects.for_programme(programme)}
        for named in standard_periods(today):
            (computed,) = compute(periods=[named.period], as_of=today, kpi_set="iof-2020", programme_ids=[programme.pk])
            result = stored[(named.period.start, named.period.end)]
            assert result.kpis == [value.as_dict() for value in computed.kpis]
            assert (result.episodes, result.period_kind, result.as_of) == (computed.episodes, named.kind, today)
    assert any(value["note"] for r in stored.values() for value in r.kpis)
