"""One episode judged against its programme's KPI set: the episode page's timeline, KPI panel and
the items still missing for data completeness.

The outcomes are not computed here: one query asks PostgreSQL for the KPI engine's own expressions
(``clinical.expressions``) on this one episode, so the page and the dashboard cannot disagree.
This module only puts the outcome into words (on which day the event happened, why the episode is
not eligible) and lays out the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinical.expressions import episode_judgement_columns
from clinical.kpi_sets import KpiDefinition, KpiSet
from patients.models import Episode
from programmes.rls import programme_scope

OUTCOME_LABELS = {
    "met": gettext_lazy("met"),
    "not_met": gettext_lazy("not met"),
    "pending": gettext_lazy("pending"),
    "not_eligible": gettext_lazy("not eligible"),
}
# The identification KPIs count episodes: "met" there means "counted".
COUNTED_LABEL = gettext_lazy("counted")
# A KPI without a window is never too late: "not met" there is still to do.
NOT_YET_LABEL = gettext_lazy("not yet")
# What each dated item means as an event on the timeline.
EVENT_LABELS = {
    "identification_date": gettext_lazy("Identified by the FLS"),
    "fls_assessment_date": gettext_lazy("FLS assessment"),
    "dxa_date": gettext_lazy("DXA scan"),
    "aom_started_date": gettext_lazy("Medication started"),
    "sb_started_date": gettext_lazy("Strength and balance exercise started"),
    "first_followup_date": gettext_lazy("First follow-up"),
    "second_followup_date": gettext_lazy("Second follow-up"),
    "death_date": gettext_lazy("Died"),
}
# The drawing: a fixed coordinate system, scaled to the episode's span of days.
CHART_WIDTH, CHART_LEFT, CHART_RIGHT = 1000, 20, 980


@dataclass(frozen=True)
class KpiJudgement:
    kpi: KpiDefinition
    outcome: str  # the engine's: met, not_met, pending, not_eligible
    closes: date | None  # the window's last day, when the KPI has a window
    detail: str

    @property
    def label(self) -> str:
        if self.kpi.counts_caseload and self.outcome == "met":
            return str(COUNTED_LABEL)
        if self.still_to_do:
            return str(NOT_YET_LABEL)
        return str(OUTCOME_LABELS[self.outcome])

    @property
    def still_to_do(self) -> bool:
        """Not met, with no window to close: open, still to do."""
        return self.outcome == "not_met" and self.kpi.open_ended

    @property
    def state_class(self) -> str:
        return "open" if self.still_to_do else self.outcome


@dataclass(frozen=True)
class TimelineEvent:
    day: int
    when: date
    label: str
    field: str
    x: float = 0.0


@dataclass(frozen=True)
class TimelineWindow:
    days: int
    closes: date
    codes: list[str]
    closed: bool
    x: float = 0.0
    label_row: int = 0


@dataclass
class Pathway:
    kpi_set: KpiSet
    judgements: list[KpiJudgement]
    missing: list[str]  # KPI11's required items that are not recorded
    events: list[TimelineEvent]
    windows: list[TimelineWindow]

    def outcome(self, code: str) -> str:
        return next(j.outcome for j in self.judgements if j.kpi.code == code)


def _judge(episode: Episode, kpi_set: KpiSet, as_of: date) -> tuple[dict[str, str], set[str], list[str]]:
    """The engine's outcome and population membership of every KPI for this episode, and the missing items."""
    columns, meaning = episode_judgement_columns(kpi_set)
    query = (
        f"SELECT {', '.join(columns)} FROM patients_episode e WHERE e.programme_id = %(programme)s AND e.id = %(id)s"  # noqa: S608 - constant SQL from the definitions
    )
    with programme_scope(episode.programme_id), connection.cursor() as cursor:
        cursor.execute(query, {"programme": episode.programme_id, "id": episode.pk, "as_of": as_of})
        row = cursor.fetchone()
    outcomes: dict[str, str] = {}
    population: set[str] = set()
    missing: list[str] = []
    for (kind, name), value in zip(meaning, row, strict=True):
        if kind == "outcome":
            outcomes[name] = value
        elif kind == "population" and value:
            population.add(name)
        elif kind == "missing" and value:
            missing.append(name)
    return outcomes, population, missing


def _day(episode: Episode, when: date) -> int:
    return (when - episode.fracture_date).days


def _detail(episode: Episode, kpi: KpiDefinition, outcome: str, in_population: bool) -> str:
    closes = episode.fracture_date + timedelta(days=kpi.window) if kpi.window is not None else None
    done = getattr(episode, kpi.event_date) if kpi.event_date else None
    if outcome == "pending":
        return _("window closes on %(date)s (day %(days)s)") % {"date": closes, "days": kpi.window}
    if outcome == "not_eligible":
        if not in_population:
            return _("does not apply: %(who)s") % {"who": kpi.population_words}
        if episode.death_date is not None:
            return _("left out: the patient died on day %(day)s, within the window") % {
                "day": _day(episode, episode.death_date)
            }
        return _("left out of this KPI")
    if kpi.required_items:
        return _("every required item is recorded") if outcome == "met" else _("items still to record (listed below)")
    if done is not None:
        if outcome == "met":
            return _("on day %(day)s (%(date)s)") % {"day": _day(episode, done), "date": done}
        if closes is not None and done > closes:
            return _("on day %(day)s, after the window closed on day %(days)s") % {
                "day": _day(episode, done),
                "days": kpi.window,
            }
    if outcome == "not_met" and closes is not None:
        return _("not recorded by %(date)s (day %(days)s)") % {"date": closes, "days": kpi.window}
    if outcome == "not_met" and kpi.open_ended:
        return _("still to do: no window closes on it, record it when it is done")
    return ""


def _scale(span: int):
    width = CHART_RIGHT - CHART_LEFT

    def x(day: int) -> float:
        return round(CHART_LEFT + width * max(day, 0) / span, 1)

    return x


def episode_pathway(episode: Episode, kpi_set: KpiSet, today: date) -> Pathway:
    """Everything the episode page shows about the pathway, judged as of ``today``."""
    outcomes, population, missing = _judge(episode, kpi_set, today)
    judgements = [
        KpiJudgement(
            kpi,
            outcomes[kpi.code],
            episode.fracture_date + timedelta(days=kpi.window) if kpi.window is not None else None,
            _detail(episode, kpi, outcomes[kpi.code], kpi.code in population),
        )
        for kpi in kpi_set.kpis
    ]
    events = [
        TimelineEvent(
            0,
            episode.fracture_date,
            _("Fracture (%(site)s)") % {"site": episode.get_fracture_site_display()},
            "fracture_date",
        )
    ]
    for field, label in EVENT_LABELS.items():
        when = getattr(episode, field)
        if when:
            events.append(TimelineEvent(_day(episode, when), when, str(label), field))
    events.sort(key=lambda e: (e.day, e.field))
    span = max([days for days, _codes in kpi_set.windows] + [e.day for e in events]) + 30
    x = _scale(span)
    events = [TimelineEvent(e.day, e.when, e.label, e.field, x(e.day)) for e in events]
    windows = []
    for index, (days, codes) in enumerate(kpi_set.windows):
        closes = episode.fracture_date + timedelta(days=days)
        # Labels of neighbouring windows alternate between two rows so that close windows
        # (day 84 and day 112) never print on top of each other.
        windows.append(TimelineWindow(days, closes, codes, closes <= today, x(days), index % 2))
    return Pathway(kpi_set, judgements, missing, events, windows)
