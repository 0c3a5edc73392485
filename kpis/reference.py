"""A second, deliberately naive implementation of the iof-2020 rules: one episode at a time, in
Python, written straight from kpis.md without the engine's definitions.

It is slow on purpose. The tests and ``bench/kpi_bench.py`` run it beside the set-based engine
on the same cohorts: both must give identical figures.
"""

from __future__ import annotations

from datetime import date, timedelta

from kpis.engine import Period, band_of, expected_for_period, percent_of

NAMES = {
    "KPI1": "Identification: non-spine fractures",
    "KPI2": "Identification: spine fractures",
    "KPI3": "FLS assessment within 12 weeks",
    "KPI4": "DXA within 12 weeks",
    "KPI5": "Falls risk assessment",
    "KPI6": "Medication recommended",
    "KPI7": "Monitoring within 16 weeks",
    "KPI8": "Medication started within 16 weeks",
    "KPI9": "Strength and balance within 16 weeks",
    "KPI10": "Medication at 52 weeks",
    "KPI11": "Data completeness",
}


def _within(day: date | None, fracture: date, window: int) -> bool:
    return day is not None and day <= fracture + timedelta(days=window)


def _died_by(episode: dict, window: int) -> bool:
    death = episode["death_date"]
    return death is not None and death <= episode["fracture_date"] + timedelta(days=window)


def _windowed(
    counts,
    code,
    episode,
    as_of,
    window,
    applies,
    event,
    exclude_if_died_without_event=True,
    died_in_window_excludes=False,
):
    if not applies:  # not in the KPI's population: neither judged nor pending
        return
    if episode["fracture_date"] + timedelta(days=window) > as_of:
        counts[code]["pending"] += 1
        return
    if died_in_window_excludes and _died_by(episode, window):
        return
    if exclude_if_died_without_event and _died_by(episode, window) and not event:
        return
    counts[code]["denominator"] += 1
    if event:
        counts[code]["numerator"] += 1


def _complete(e: dict, as_of: date) -> bool:
    if "" in (e["fls_assessment"], e["dxa"], e["falls_assessment"], e["aom_recommended"]):
        return False
    f = e["fracture_date"]
    first_due = f + timedelta(days=112) <= as_of and not _died_by(e, 112)
    if first_due and (e["first_followup_date"] is None or e["aom_started"] == "" or e["sb_started"] == ""):
        return False
    second_due = e["aom_started"] == "yes" and f + timedelta(days=364) <= as_of and not _died_by(e, 364)
    return not (second_due and (e["second_followup_date"] is None or e["aom_at_52w"] == ""))


def reference_kpis(episodes: list[dict], *, period: Period, as_of: date, caseloads: dict[int, tuple[int, int]]) -> dict:
    counts = {code: {"numerator": 0, "denominator": 0, "pending": 0} for code in NAMES}
    eligible = [e for e in episodes if period.start <= e["fracture_date"] <= period.end]
    for e in eligible:
        f = e["fracture_date"]
        counts["KPI1" if e["fracture_site"] != "spine" else "KPI2"]["numerator"] += 1
        assessed = e["fls_assessment"] == "yes" and _within(e["fls_assessment_date"], f, 84)
        _windowed(counts, "KPI3", e, as_of, 84, True, assessed)
        scanned = e["dxa"] == "yes" and _within(e["dxa_date"], f, 84)
        _windowed(counts, "KPI4", e, as_of, 84, e["dxa"] != "not_required", scanned)
        counts["KPI5"]["denominator"] += 1
        counts["KPI5"]["numerator"] += e["falls_assessment"] in ("yes", "referred")
        counts["KPI6"]["denominator"] += 1
        counts["KPI6"]["numerator"] += e["aom_recommended"] == "yes"
        _windowed(counts, "KPI7", e, as_of, 112, True, _within(e["first_followup_date"], f, 112))
        started = e["aom_started"] == "yes" and _within(e["aom_started_date"], f, 112)
        _windowed(counts, "KPI8", e, as_of, 112, e["aom_recommended"] == "yes", started)
        exercised = e["sb_started"] == "yes" and _within(e["sb_started_date"], f, 112)
        _windowed(counts, "KPI9", e, as_of, 112, e["fracture_site"] != "hip", exercised)
        _windowed(
            counts,
            "KPI10",
            e,
            as_of,
            364,
            e["aom_started"] == "yes",
            e["aom_at_52w"] == "yes",
            exclude_if_died_without_event=False,
            died_in_window_excludes=True,
        )
        counts["KPI11"]["denominator"] += 1
        counts["KPI11"]["numerator"] += _complete(e, as_of)
    result = []
    for code, _name in NAMES.items():
        c = counts[code]
        denominator = c["denominator"]
        if code in ("KPI1", "KPI2"):
            denominator, _note = expected_for_period(
                caseloads, period, "expected_non_spine" if code == "KPI1" else "expected_spine"
            )
        percent = percent_of(c["numerator"], denominator)
        band = None
        if percent is not None:
            band = ("green" if percent >= 50 else "red") if code == "KPI6" else band_of(_Standard, percent)
        result.append(
            {
                "code": code,
                "numerator": c["numerator"],
                "denominator": denominator,
                "percent": percent,
                "band": band,
                "pending": c["pending"],
            }
        )
    return {"episodes": len(eligible), "kpis": result}


class _Standard:
    bands = "standard"
