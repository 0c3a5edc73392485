"""Reads of patient data, always for one programme: the list, the worklist, the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from patients import rules
from patients.models import AuditEntry, Episode, Patient
from programmes.tenancy import get_owned_or_404

FIRST_FOLLOWUP_DAYS = 112  # 16 weeks
SECOND_FOLLOWUP_DAYS = 364  # 52 weeks
ASSESSMENT_DAYS = 84  # 12 weeks
WORKLIST_HORIZON_DAYS = 14
# A contact more than a year overdue is no longer a reminder but a lost patient: the list's
# "follow-up overdue" filter still finds those episodes.
WORKLIST_OVERDUE_LIMIT_DAYS = 365

SORTS = {
    "-fracture_date": ("-fracture_date", "-id"),
    "fracture_date": ("fracture_date", "id"),
    "patient_ref": ("patient__patient_ref", "fracture_date"),
    "-patient_ref": ("-patient__patient_ref", "-fracture_date"),
    "fracture_site": ("fracture_site", "-fracture_date"),
}
SORT_LABELS = {
    "-fracture_date": _("Newest fracture first"),
    "fracture_date": _("Oldest fracture first"),
    "patient_ref": _("Patient reference A→Z"),
    "-patient_ref": _("Patient reference Z→A"),
    "fracture_site": _("Fracture site"),
}
STATUS_LABELS = {
    "not_assessed": _("Not yet assessed"),
    "no_dxa_recorded": _("DXA not recorded"),
    "followup_due": _("Follow-up due (worklist)"),
    "followup_overdue": _("16-week follow-up overdue"),
    "second_followup_overdue": _("52-week follow-up overdue"),
    "deceased": _("Deceased"),
}


def status_filter(status: str, today: date) -> Q:
    """The pathway statuses a coordinator filters by, as conditions on the row (index friendly)."""
    alive = Q(death_date__isnull=True)
    if status == "not_assessed":
        return Q(fls_assessment="")
    if status == "no_dxa_recorded":
        return Q(dxa="")
    if status == "followup_due":
        return _first_due(today) | _second_due(today)
    if status == "followup_overdue":
        return alive & Q(
            first_followup_date__isnull=True, fracture_date__lt=today - timedelta(days=FIRST_FOLLOWUP_DAYS)
        )
    if status == "second_followup_overdue":
        return alive & Q(
            aom_started="yes",
            second_followup_date__isnull=True,
            fracture_date__lt=today - timedelta(days=SECOND_FOLLOWUP_DAYS),
        )
    if status == "deceased":
        return Q(death_date__isnull=False)
    raise ValueError(status)


def _first_due(today: date) -> Q:
    latest = today + timedelta(days=WORKLIST_HORIZON_DAYS - FIRST_FOLLOWUP_DAYS)
    earliest = today - timedelta(days=WORKLIST_OVERDUE_LIMIT_DAYS + FIRST_FOLLOWUP_DAYS)
    return Q(
        death_date__isnull=True,
        first_followup_date__isnull=True,
        fracture_date__lte=latest,
        fracture_date__gte=earliest,
    )


def _second_due(today: date) -> Q:
    latest = today + timedelta(days=WORKLIST_HORIZON_DAYS - SECOND_FOLLOWUP_DAYS)
    earliest = today - timedelta(days=WORKLIST_OVERDUE_LIMIT_DAYS + SECOND_FOLLOWUP_DAYS)
    return Q(
        death_date__isnull=True,
        aom_started="yes",
        second_followup_date__isnull=True,
        fracture_date__lte=latest,
        fracture_date__gte=earliest,
    )


def episode_list(
    programme,
    *,
    today: date,
    q: str = "",
    site: str = "",
    fracture_from: date | None = None,
    fracture_to: date | None = None,
    status: str = "",
    sort: str = "-fracture_date",
) -> QuerySet[Episode]:
    """The programme's episodes as the list page, the API and the export filter them."""
    episodes = Episode.objects.for_programme(programme).select_related("patient")
    q = q.strip()
    if q or sort.endswith("patient_ref"):
        # Naming the patient's programme as well lets PostgreSQL use the (programme, patient_ref)
        # index for the reference search and order (the join alone would not tell it).
        episodes = episodes.filter(patient__programme=programme)
    if q:
        # patient_ref has byte-order collation: a prefix search is an index range scan.
        # Hospital numbers are usually upper case: try the text as typed and in capitals.
        episodes = episodes.filter(
            Q(patient__patient_ref__startswith=q) | Q(patient__patient_ref__startswith=q.upper())
        )
    if site:
        episodes = episodes.filter(fracture_site=site)
    if fracture_from:
        episodes = episodes.filter(fracture_date__gte=fracture_from)
    if fracture_to:
        episodes = episodes.filter(fracture_date__lte=fracture_to)
    if status:
        episodes = episodes.filter(status_filter(status, today))
    return episodes.order_by(*SORTS.get(sort, SORTS["-fracture_date"]))


def get_episode_for(programme, pk) -> Episode:
    return get_owned_or_404(Episode.objects.select_related("patient", "updated_by"), programme, pk=pk)


def get_patient_for(programme, pk) -> Patient:
    return get_owned_or_404(Patient.objects.select_related("updated_by"), programme, pk=pk)


def patient_episodes(patient: Patient) -> QuerySet[Episode]:
    return Episode.objects.for_programme(patient.programme_id).filter(patient=patient).order_by("fracture_date")


@dataclass(frozen=True)
class WorklistItem:
    episode: Episode
    contact: str  # "first" (16 weeks) or "second" (52 weeks)
    due: date

    @property
    def field(self) -> str:
        return "first_followup_date" if self.contact == "first" else "second_followup_date"

    @property
    def label(self):
        return _("16-week follow-up") if self.contact == "first" else _("52-week follow-up")

    def days_overdue(self, today: date) -> int:
        return (today - self.due).days


def followup_worklist(programme, *, today: date, limit: int = 500) -> list[WorklistItem]:
    """Contacts due within 14 days or overdue (up to a year), oldest due date first."""
    base = Episode.objects.for_programme(programme).select_related("patient")
    firsts = base.filter(_first_due(today)).order_by("fracture_date")[:limit]
    seconds = base.filter(_second_due(today)).order_by("fracture_date")[:limit]
    items = [WorklistItem(e, "first", e.fracture_date + timedelta(days=FIRST_FOLLOWUP_DAYS)) for e in firsts]
    items += [WorklistItem(e, "second", e.fracture_date + timedelta(days=SECOND_FOLLOWUP_DAYS)) for e in seconds]
    items.sort(key=lambda item: (item.due, item.episode.pk))
    return items[:limit]


# --- The episode timeline ----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    day: int
    when: date
    label: str
    field: str


@dataclass(frozen=True)
class WindowCheck:
    """One KPI window as the coordinator sees it for this episode."""

    label: str
    window_days: int
    closes: date
    state: str  # met, missed, pending, not_recorded, not_required, not_applicable
    detail: str


def episode_timeline(episode: Episode, today: date) -> dict:
    """Events in date order, the 12/16/52-week windows, and what is still missing for the KPIs."""
    fracture = episode.fracture_date
    events = [TimelineEvent(0, fracture, str(_("Fracture")) + f" ({episode.fracture_site.replace('_', ' ')})", "")]
    for field in (
        "identification_date",
        "fls_assessment_date",
        "dxa_date",
        "aom_started_date",
        "sb_started_date",
        "first_followup_date",
        "second_followup_date",
        "death_date",
    ):
        when = getattr(episode, field)
        if when:
            events.append(TimelineEvent((when - fracture).days, when, str(rules.LABELS[field]), field))
    events.sort(key=lambda e: (e.day, e.field))
    windows = [
        (ASSESSMENT_DAYS, _("12 weeks: FLS assessment and DXA")),
        (FIRST_FOLLOWUP_DAYS, _("16 weeks: first follow-up, medication and exercise started")),
        (SECOND_FOLLOWUP_DAYS, _("52 weeks: second follow-up, medication continued")),
    ]
    return {
        "events": events,
        "windows": [
            {
                "days": days,
                "label": label,
                "closes": fracture + timedelta(days=days),
                "closed": fracture + timedelta(days=days) <= today,
            }
            for days, label in windows
        ],
        "checks": _window_checks(episode, today),
        "missing": missing_items(episode, today),
        "span": max([SECOND_FOLLOWUP_DAYS + 36, *(e.day + 14 for e in events)]),
    }


def _window_checks(episode: Episode, today: date) -> list[WindowCheck]:
    fracture, death = episode.fracture_date, episode.death_date

    def check(label, days, done_date, status_ok=True, applies=True, not_required=False):
        closes = fracture + timedelta(days=days)
        if not applies:
            return WindowCheck(label, days, closes, "not_applicable", str(_("does not apply to this episode")))
        if not_required:
            return WindowCheck(label, days, closes, "not_required", str(_("a clinician decided it is not required")))
        if done_date and status_ok:
            day = (done_date - fracture).days
            if done_date <= closes:
                return WindowCheck(
                    label, days, closes, "met", str(_("done on day %(day)s, within the window")) % {"day": day}
                )
            return WindowCheck(
                label, days, closes, "missed", str(_("done on day %(day)s, after the window")) % {"day": day}
            )
        if death and death <= closes:
            return WindowCheck(
                label, days, closes, "not_applicable", str(_("the patient died before the window closed"))
            )
        if closes > today:
            return WindowCheck(label, days, closes, "pending", str(_("due by %(date)s")) % {"date": closes})
        return WindowCheck(label, days, closes, "missed", str(_("not recorded by %(date)s")) % {"date": closes})

    return [
        check(
            _("FLS assessment within 12 weeks"),
            ASSESSMENT_DAYS,
            episode.fls_assessment_date,
            episode.fls_assessment == "yes",
        ),
        check(
            _("DXA within 12 weeks"),
            ASSESSMENT_DAYS,
            episode.dxa_date,
            episode.dxa == "yes",
            not_required=episode.dxa == "not_required",
        ),
        check(_("First follow-up within 16 weeks"), FIRST_FOLLOWUP_DAYS, episode.first_followup_date),
        check(
            _("Medication started within 16 weeks"),
            FIRST_FOLLOWUP_DAYS,
            episode.aom_started_date,
            episode.aom_started == "yes",
            applies=episode.aom_recommended == "yes",
        ),
        check(
            _("Strength and balance within 16 weeks"),
            FIRST_FOLLOWUP_DAYS,
            episode.sb_started_date,
            episode.sb_started == "yes",
            applies=episode.fracture_site != "hip",
        ),
        check(
            _("On medication at 52 weeks"),
            SECOND_FOLLOWUP_DAYS,
            episode.second_followup_date if episode.aom_at_52w == "yes" else None,
            applies=episode.aom_started == "yes",
        ),
    ]


def missing_items(episode: Episode, today: date) -> list[str]:
    """Items the data-completeness KPI (KPI11) needs and this episode lacks, by the dataset's rules."""
    fracture, death = episode.fracture_date, episode.death_date
    needed = ["fls_assessment", "dxa", "falls_assessment", "aom_recommended"]
    first_closes = fracture + timedelta(days=FIRST_FOLLOWUP_DAYS)
    if first_closes <= today and not (death and death <= first_closes):
        needed += ["first_followup_date", "aom_started", "sb_started"]
    second_closes = fracture + timedelta(days=SECOND_FOLLOWUP_DAYS)
    if episode.aom_started == "yes" and second_closes <= today and not (death and death <= second_closes):
        needed += ["second_followup_date", "aom_at_52w"]
    return [field for field in needed if getattr(episode, field) in ("", None)]


def audit_for_patient(programme, patient_id: int) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.for_programme(programme).filter(patient_id_ref=patient_id).select_related("actor")
