"""Reads of patient data, always for one programme: the list, the worklist, the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Paginator
from django.db.models import CharField, Count, DateField, ExpressionWrapper, F, Q, QuerySet, Value
from django.utils.translation import gettext_lazy as _

from clinical.kpi_sets import KpiSet, get_kpi_set
from patients.models import AuditEntry, Episode, Patient
from programmes.tenancy import get_owned_or_404

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


def status_filter(status: str, today: date, kpi_set: KpiSet) -> Q:
    """The pathway statuses a coordinator filters by, as conditions on the row (index friendly).

    Follow-up windows are those of the programme's KPI set: the KPIs that judge the contacts.
    """
    alive = Q(death_date__isnull=True)
    if status == "not_assessed":
        return Q(fls_assessment="")
    if status == "no_dxa_recorded":
        return Q(dxa="")
    if status == "followup_due":
        return _first_due(today, kpi_set) | _second_due(today, kpi_set)
    if status == "followup_overdue":
        return alive & Q(
            first_followup_date__isnull=True,
            fracture_date__lt=today - timedelta(days=kpi_set.first_followup_window),
        )
    if status == "second_followup_overdue":
        return alive & Q(
            aom_started="yes",
            second_followup_date__isnull=True,
            fracture_date__lt=today - timedelta(days=kpi_set.second_followup_window),
        )
    if status == "deceased":
        return Q(death_date__isnull=False)
    raise ValueError(status)


def _due_between(today: date, window: int) -> Q:
    """Fracture dates whose contact falls due between a year ago and the worklist's horizon."""
    return Q(
        death_date__isnull=True,
        fracture_date__lte=today + timedelta(days=WORKLIST_HORIZON_DAYS - window),
        fracture_date__gte=today - timedelta(days=WORKLIST_OVERDUE_LIMIT_DAYS + window),
    )


def _first_due(today: date, kpi_set: KpiSet) -> Q:
    return _due_between(today, kpi_set.first_followup_window) & Q(first_followup_date__isnull=True)


def _second_due(today: date, kpi_set: KpiSet) -> Q:
    # The second contact matters for episodes in the population of the KPI that judges it.
    return _due_between(today, kpi_set.second_followup_window) & Q(aom_started="yes", second_followup_date__isnull=True)


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
        episodes = episodes.filter(_ref_prefix(q) | _ref_prefix(q.upper()) if q.upper() != q else _ref_prefix(q))
    if site:
        episodes = episodes.filter(fracture_site=site)
    if fracture_from:
        episodes = episodes.filter(fracture_date__gte=fracture_from)
    if fracture_to:
        episodes = episodes.filter(fracture_date__lte=fracture_to)
    if status:
        episodes = episodes.filter(status_filter(status, today, programme_kpi_set(programme)))
    return episodes.order_by(*SORTS.get(sort, SORTS["-fracture_date"]))


def episode_page(programme, *, today: date, page, per_page: int, **filters):
    """One page of ``episode_list``, in two queries: the count (without the patient join a sort by
    reference needs, unless the search needs it too), and the page's rows, found through their ids
    (``id IN (SELECT id ... ORDER BY ... LIMIT ... OFFSET ...)``: an index scan however deep the
    page, and the wide rows read for this page only)."""
    episodes = episode_list(programme, today=today, **filters)
    counted = (
        episode_list(programme, today=today, **{**filters, "sort": "-fracture_date"})
        if not filters.get("q")
        else episodes
    )
    paginated = Paginator(_Counted(episodes.values_list("pk", flat=True), counted.count()), per_page).get_page(page)
    if paginated.paginator.count:
        paginated.object_list = list(episodes.filter(pk__in=paginated.object_list))
    else:
        paginated.object_list = []
    return paginated


def _ref_prefix(prefix: str) -> Q:
    """Patient references starting with ``prefix``, as a range of the byte-ordered column (what the
    index reads directly: PostgreSQL does not turn ``LIKE 'x%' OR LIKE 'X%'`` into index ranges)."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return Q(patient__patient_ref__startswith=prefix)
    return Q(patient__patient_ref__gte=prefix, patient__patient_ref__lt=prefix[:-1] + chr(last + 1))


def get_episode_for(programme, pk) -> Episode:
    return get_owned_or_404(Episode.objects.select_related("patient", "updated_by"), programme, pk=pk)


def get_patient_for(programme, pk) -> Patient:
    return get_owned_or_404(Patient.objects.select_related("updated_by"), programme, pk=pk)


def patient_episodes(patient: Patient) -> QuerySet[Episode]:
    return Episode.objects.for_programme(patient.programme_id).filter(patient=patient).order_by("fracture_date")


def programme_kpi_set(programme) -> KpiSet:
    return get_kpi_set(programme.kpi_set)


WORKLIST_GROUPS = {
    "overdue": _("Overdue"),
    "this_week": _("Due within 7 days"),
    "next_week": _("Due in 8 to 14 days"),
}


@dataclass(frozen=True)
class WorklistItem:
    episode: Episode
    contact: str  # "first" or "second" monitoring contact
    due: date
    group: str  # a key of WORKLIST_GROUPS
    days_overdue: int

    @property
    def group_label(self):
        return WORKLIST_GROUPS[self.group]

    @property
    def field(self) -> str:
        return "first_followup_date" if self.contact == "first" else "second_followup_date"

    @property
    def label(self):
        return _("First follow-up") if self.contact == "first" else _("Second follow-up")


def worklist_group(due: date, today: date) -> str:
    if due < today:
        return "overdue"
    return "this_week" if due < today + timedelta(days=7) else "next_week"


class _Counted:
    """A sliceable queryset whose length is already known (the paginator then asks no COUNT)."""

    def __init__(self, queryset, total: int):
        self.queryset, self.total = queryset, total

    def count(self) -> int:
        return self.total

    def __getitem__(self, index):
        return self.queryset[index]


@dataclass
class Worklist:
    page: object  # a Django Page of WorklistItem
    counts: dict[str, int]  # per group, over every page

    @property
    def summary(self) -> list[tuple[str, str, int]]:
        return [(key, label, self.counts[key]) for key, label in WORKLIST_GROUPS.items()]


def followup_worklist(
    programme, *, today: date, page: int | str | None = 1, per_page: int = 50, group: str = ""
) -> Worklist:
    """Contacts due within 14 days or overdue (up to a year), oldest due date first, a page at a time
    (``group``: only the overdue, this week's or next week's; the counts are always of all groups).

    Due dates are the closing days of the windows of the programme's KPI set for the two contacts.
    Four queries whatever the page: the counts per group for each contact, one page of (episode,
    contact, due) from both contacts in SQL order, and that page's episodes.
    """
    kpi_set = programme_kpi_set(programme)
    base = Episode.objects.for_programme(programme)
    week = today + timedelta(days=7)
    contacts = []
    counts = dict.fromkeys(WORKLIST_GROUPS, 0)
    for contact, window, condition in (
        ("first", kpi_set.first_followup_window, _first_due(today, kpi_set)),
        ("second", kpi_set.second_followup_window, _second_due(today, kpi_set)),
    ):
        # Each group as a range of fracture dates (due = fracture + window): counted, and filtered on.
        due_soon, due_later = today - timedelta(days=window), week - timedelta(days=window)
        groups = {
            "overdue": Q(fracture_date__lt=due_soon),
            "this_week": Q(fracture_date__gte=due_soon, fracture_date__lt=due_later),
            "next_week": Q(fracture_date__gte=due_later),
        }
        grouped = base.filter(condition).aggregate(**{name: Count("pk", filter=q) for name, q in groups.items()})
        for name, number in grouped.items():
            counts[name] += number
        contacts.append(
            base.filter(condition, groups.get(group, Q()))
            .annotate(
                contact=Value(contact, output_field=CharField()),
                due=ExpressionWrapper(F("fracture_date") + Value(window), output_field=DateField()),
            )
            .values_list("pk", "contact", "due")
        )
    ordered = contacts[0].union(contacts[1], all=True).order_by("due", "pk")
    total = counts[group] if group in counts else sum(counts.values())
    paginated = Paginator(_Counted(ordered, total), per_page).get_page(page)
    rows = list(paginated.object_list)
    episodes = base.select_related("patient").in_bulk([pk for pk, _contact, _due in rows])
    paginated.object_list = [
        WorklistItem(episodes[pk], contact, due, worklist_group(due, today), (today - due).days)
        for pk, contact, due in rows
    ]
    return Worklist(paginated, counts)


def audit_for_patient(programme, patient_id: int) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.for_programme(programme).filter(patient_pk=patient_id).select_related("actor")
