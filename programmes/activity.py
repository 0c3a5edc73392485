"""The lead's one list of who viewed, exported, imported and changed what in their programme.

Two records feed it, merged by time and filtered the same way: the access log (this app) and, from
the apps above, any source registered with ``register_source`` (patients registers its audit
trail of every change to a patient or an episode). Each row is told as a sentence in the reader's
language ("changed DXA date from — to 2026-11-23"), not as keys and values. A reviewer who read
the programme's recognition evidence is "Reviewer A" or "B", never named to the applicant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from programmes.labels import label as coded_label
from programmes.labels import labels as coded_labels
from programmes.models import AccessEvent, Programme

CHANGED = "changed"  # the filter's value for the registered sources' rows (changes of data)


@dataclass(frozen=True)
class Activity:
    at: datetime
    who: str
    what: str
    detail: str


@dataclass(frozen=True)
class Filters:
    action: str = ""
    who: str = ""
    since: date | None = None
    until: date | None = None


_sources: list[Callable[[Programme, Filters, int], list[Activity]]] = []


def register_source(source: Callable[[Programme, Filters, int], list[Activity]]) -> None:
    if source not in _sources:
        _sources.append(source)


def programme_activity(programme: Programme, filters: Filters = Filters(), limit: int = 200) -> list[Activity]:
    """The latest ``limit`` rows of every source that match, newest first."""
    rows: list[Activity] = []
    if filters.action != CHANGED:
        rows += _access_log(programme, filters, limit)
    if filters.action in ("", CHANGED):
        for source in _sources:
            rows += source(programme, filters, limit)
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows[:limit]


def narrowed(rows, filters: Filters, *, at: str):
    """``rows`` (with an ``actor``) narrowed by person (name or e-mail containing ``who``) and by
    dates (inclusive) of their ``at`` field: the same filters for every source."""
    if filters.who:
        rows = rows.filter(Q(actor__email__icontains=filters.who) | Q(actor__full_name__icontains=filters.who))
    # Days in the reader's zone, as ranges of the stored time (an index can serve a range; it cannot
    # serve the day of each row computed in a zone).
    if filters.since:
        rows = rows.filter(**{f"{at}__gte": start_of_day(filters.since)})
    if filters.until:
        rows = rows.filter(**{f"{at}__lt": start_of_day(filters.until + timedelta(days=1))})
    return rows


def start_of_day(day: date) -> datetime:
    """The first instant of ``day`` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _access_log(programme: Programme, filters: Filters, limit: int) -> list[Activity]:
    events = narrowed(AccessEvent.objects.for_programme(programme).select_related("actor"), filters, at="created_at")
    if filters.action:
        events = events.filter(action=filters.action)
    return [
        Activity(at=e.created_at, who=_who(e), what=e.get_action_display(), detail=describe(e))
        for e in events.order_by("-created_at", "-id")[:limit]
    ]


def _who(event: AccessEvent) -> str:
    letter = (event.detail or {}).get("reviewer")
    if letter:
        return _("Reviewer %(letter)s") % {"letter": letter}
    return event.actor.display_name if event.actor else _("the registry")


def _read_what() -> dict[str, str]:
    return {
        "episode_list": _("the episode list"),
        "episode": _("episode %(episode)s"),
        "episode_edit": _("episode %(episode)s, to change it"),
        "episode_delete": _("episode %(episode)s, to delete it"),
        "episode_new": _("patient %(patient)s, to add an episode"),
        "patient": _("patient %(patient)s"),
        "patient_edit": _("patient %(patient)s, to correct it"),
        "worklist": _("the worklist"),
        "kpi_drilldown": _("the patients behind %(kpi)s"),
        "benefits_pdf": _("the benefits calculator's PDF"),
        "case_finding": _("hospital records read for case finding"),
        "case_finding_inbox": _("the case-finding inbox"),
        "case_finding_candidate": _("case-finding candidate %(candidate)s, to accept it"),
    }


def _detail_labels() -> dict[str, str]:
    return {
        "email": _("address"),
        "role": _("role"),
        "before": _("before"),
        "rows": _("rows"),
        "episodes": _("episodes"),
        "created": _("created"),
        "updated": _("updated"),
        "unchanged": _("unchanged"),
        "format": _("format"),
        "filters": _("filters"),
        "name": _("file"),
        "year": _("year"),
        "source": _("source"),
        "page": _("page"),
        "records": _("records"),
        "candidates": _("candidates"),
        "duplicates": _("duplicates"),
        "excluded": _("excluded"),
        "sites": _("sites"),
        "candidate": _("candidate"),
        "reason": _("reason"),
    }


def describe(event: AccessEvent) -> str:
    """The event's detail as words: what was read, and the rest as "label value" phrases."""
    detail = dict(event.detail or {})
    parts = []
    what = detail.pop("what", None)
    via = detail.pop("via", None)
    for internal in ("reviewer", "application", "evidence", "request", "proposal", "training_day", "resource"):
        detail.pop(internal, None)
    if what:
        template = _read_what().get(what)
        try:
            parts.append(template % detail if template else str(what).replace("_", " "))
        except (KeyError, TypeError, ValueError):
            parts.append(str(what).replace("_", " "))
        for used in ("episode", "patient", "kpi", "candidate"):
            detail.pop(used, None)
        if via == "api":
            parts[-1] += " " + _("(through the API)")
    labels = _detail_labels()
    if via in _VIA_KINDS:
        parts.append(coded_label("granted_via", via))
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        kind = _CODED_DETAILS.get(key)
        if isinstance(value, dict):
            value = ", ".join(f"{coded_label(kind, k) if kind else k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = coded_labels(kind, value) if kind else ", ".join(str(v) for v in value)
        elif kind:
            value = coded_label(kind, value)
        parts.append(f"{labels.get(key, str(key).replace('_', ' '))} {value}")
    return "; ".join(parts)


# Details stored as codes, and the kind of label each is shown with (programmes.labels).
_CODED_DETAILS = {
    "role": "role",
    "source": "change_source",
    "country": "country",
    "languages": "language",
    # Case finding's (registered by casefinding): a feed's format, its counts by reason and site.
    "format": "feed_format",
    "excluded": "exclusion",
    "sites": "fracture_site",
    "reason": "dismiss_reason",
}
_VIA_KINDS = ("grant", "invitation", "createsuperuser")
