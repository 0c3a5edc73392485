"""Reads of case finding shared by the inbox, the API and recognition's review pages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.shortcuts import get_object_or_404

from casefinding.models import Candidate, MonthlyCount
from programmes.models import Programme

MONTHLY_KINDS = ("read", "candidate", "duplicate", "accepted", "dismissed", "excluded")
# Kinds counted by reason: candidates by site (spine_radiological: a spine found on imaging),
# dismissals and exclusions by reason.
BY_REASON = ("candidate", "dismissed", "excluded")


def open_candidates(programme: Programme):
    """The inbox: open candidates, oldest event first."""
    return Candidate.objects.for_programme(programme).filter(status=Candidate.Status.OPEN).order_by("event_date", "id")


def get_candidate_for(programme: Programme, pk: int) -> Candidate:
    """One of the programme's candidates: the same 404 for another programme's as for none."""
    return get_object_or_404(Candidate.objects.for_programme(programme).select_related("decided_by"), pk=pk)


def monthly_counts(programme: Programme, *, start: date | None = None, end: date | None = None) -> list[dict]:
    """Per month (newest first): records read, candidates (by site), duplicates, accepted, dismissed
    by reason and excluded by reason. No patient: what reviewers may see."""
    rows = MonthlyCount.objects.filter(programme=programme)
    if start:
        rows = rows.filter(month__gte=start.replace(day=1))
    if end:
        rows = rows.filter(month__lte=end)
    months: dict[date, dict] = defaultdict(
        lambda: dict.fromkeys(MONTHLY_KINDS, 0) | {f"{kind}_by": {} for kind in BY_REASON}
    )
    for month, kind, reason, count in rows.values_list("month", "kind", "reason", "count"):
        entry = months[month]
        entry["month"] = month
        entry[kind] = entry.get(kind, 0) + count
        if kind in BY_REASON and reason:
            entry[f"{kind}_by"][reason] = entry[f"{kind}_by"].get(reason, 0) + count
    return [months[month] for month in sorted(months, reverse=True)]


def period_totals(programme: Programme, *, start: date, end: date) -> dict:
    """The counts of the months from ``start`` to ``end`` added up (a recognition application's
    12 months)."""
    totals = dict.fromkeys(MONTHLY_KINDS, 0) | {f"{kind}_by": {} for kind in BY_REASON} | {"months": 0}
    for month in monthly_counts(programme, start=start, end=end):
        totals["months"] += 1
        for kind in MONTHLY_KINDS:
            totals[kind] += month[kind]
        for key in (f"{kind}_by" for kind in BY_REASON):
            for reason, count in month[key].items():
                totals[key][reason] = totals[key].get(reason, 0) + count
    return totals
