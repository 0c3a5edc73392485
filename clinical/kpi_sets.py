"""KPI sets as data: each KPI's clinical definition in words beside the expressions that compute it.

Nothing that computes KPIs knows a particular KPI: the engine (``kpis.engine``) turns a set into one
SQL pass of conditional aggregates, and the episode page asks the same expressions for one episode
(``clinical.expressions``). A KPI is:

- ``population``: which eligible episodes it concerns (SQL condition on the episode ``e``). Only
  episodes of the population are ever pending for the KPI;
- ``window``: days after the fracture within which the event counts (None: no window). An episode
  is *mature* when ``fracture_date + window <= as_of``; immature ones of the population are *pending*;
- ``event``: what meets the KPI (SQL condition), and ``event_date``: the column whose date is the
  event, when there is one (the episode page says on which day it happened);
- ``exclusions``: ``"died_without_event"`` (death within the window and no event within it),
  ``"died_in_window"`` (death within the window, whatever happened), or an SQL condition;
- ``required_items`` (data completeness): the items that must be recorded, each with the condition
  under which it is required; the event is "every required item recorded";
- ``denominator``: ``"episodes"`` (the population after maturity and exclusions), or
  ``"expected_non_spine"`` / ``"expected_spine"`` (the programme's expected caseload, prorated);
- ``bands``: ``"standard"`` (red < 50, amber 50-80, green > 80) or ``"single_50"`` (green >= 50).

Every SQL fragment is a constant written here; values (the as-of date) are bound as parameters.
Outcomes per episode: met, not met, not eligible, pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


def _fill(text, **values) -> str:
    # A number stays a number: a plural text (ngettext_lazy) chooses its form of the language by it.
    return str(text % {name: value if isinstance(value, int) else str(value) for name, value in values.items()})


# Filled in when read, so the words follow the reader's language (a lazy text's own % reads it at once).
_interpolate = lazy(_fill, str)


@dataclass(frozen=True)
class RequiredItem:
    """An item of the data-completeness KPI: the column, when it is recorded, and when it is required."""

    field: str
    recorded: str
    required_when: str = "TRUE"


@dataclass(frozen=True)
class KpiDefinition:
    code: str
    name: str
    definition: str  # the clinical definition, in words (shown on the methods page)
    population: str = "TRUE"
    population_words: str = ""  # who the KPI concerns, in words (the episode page's "does not apply")
    window: int | None = None
    event: str = "TRUE"
    event_date: str | None = None
    exclusions: tuple[str, ...] = ()
    required_items: tuple[RequiredItem, ...] = ()
    denominator: str = "episodes"
    bands: str = "standard"

    @property
    def green_from(self) -> str:
        """The figure that reaches green, as people read it (the bands of kpis.md)."""
        return "≥ 50 %" if self.bands == "single_50" else "> 80 %"

    @property
    def counts_caseload(self) -> bool:
        """Identification KPIs: the numerator is the population, the denominator the expected caseload."""
        return self.denominator != "episodes"

    @property
    def open_ended(self) -> bool:
        """No window closes on it: an episode without its event is "not met" in the figures, but for
        the coordinator it is still to do ("not yet"), never too late."""
        return self.window is None and not self.counts_caseload


@dataclass(frozen=True)
class KpiSet:
    code: str
    name: str
    source: str
    kpis: tuple[KpiDefinition, ...] = field(default_factory=tuple)
    # The KPIs that judge the two monitoring contacts: their windows are the worklist's due dates.
    first_followup_kpi: str = "KPI7"
    second_followup_kpi: str = "KPI10"

    def get(self, code: str) -> KpiDefinition:
        for kpi in self.kpis:
            if kpi.code == code:
                return kpi
        raise KeyError(code)

    @property
    def first_followup_window(self) -> int:
        return self.get(self.first_followup_kpi).window

    @property
    def second_followup_window(self) -> int:
        return self.get(self.second_followup_kpi).window

    @property
    def windows(self) -> list[tuple[int, list[str]]]:
        """Each distinct window, in days, with the codes of the KPIs it closes."""
        by_days: dict[int, list[str]] = {}
        for kpi in self.kpis:
            if kpi.window is not None:
                by_days.setdefault(kpi.window, []).append(kpi.code)
        return sorted(by_days.items())


def within(date_column: str, days: int) -> str:
    return f"{date_column} <= e.fracture_date + {int(days)}"


def _alive_and_mature(days: int) -> str:
    return (
        f"e.fracture_date + {int(days)} <= %(as_of)s::date AND "
        f"(e.death_date IS NULL OR e.death_date > e.fracture_date + {int(days)})"
    )


def completeness_items(first_window: int = 112, second_window: int = 364) -> tuple[RequiredItem, ...]:
    """KPI11's required items, by the rules of kpis.md."""
    first_due = _alive_and_mature(first_window)
    second_due = f"e.aom_started = 'yes' AND {_alive_and_mature(second_window)}"
    return (
        RequiredItem("fracture_site", "e.fracture_site <> ''"),
        RequiredItem("fracture_date", "e.fracture_date IS NOT NULL"),
        RequiredItem("fls_assessment", "e.fls_assessment <> ''"),
        RequiredItem("dxa", "e.dxa <> ''"),
        RequiredItem("falls_assessment", "e.falls_assessment <> ''"),
        RequiredItem("aom_recommended", "e.aom_recommended <> ''"),
        RequiredItem("first_followup_date", "e.first_followup_date IS NOT NULL", first_due),
        RequiredItem("aom_started", "e.aom_started <> ''", first_due),
        RequiredItem("sb_started", "e.sb_started <> ''", first_due),
        RequiredItem("second_followup_date", "e.second_followup_date IS NOT NULL", second_due),
        RequiredItem("aom_at_52w", "e.aom_at_52w <> ''", second_due),
    )


def _iof_kpis(assessment_window: int, assessment_words: str) -> tuple[KpiDefinition, ...]:
    return (
        KpiDefinition(
            "KPI1",
            _("Identification: non-spine fractures"),
            _(
                "Eligible episodes whose fracture site is not spine, against the expected number of non-spine "
                "fragility fractures for the period (the programme's yearly expectation, prorated by days)."
            ),
            population="e.fracture_site <> 'spine'",
            population_words=_("non-spine fractures only"),
            denominator="expected_non_spine",
        ),
        KpiDefinition(
            "KPI2",
            _("Identification: spine fractures"),
            _(
                "Eligible episodes with a spine fracture (clinical or radiological), against the expected number "
                "of spine fractures for the period."
            ),
            population="e.fracture_site = 'spine'",
            population_words=_("spine fractures only"),
            denominator="expected_spine",
        ),
        KpiDefinition(
            "KPI3",
            _interpolate(_("FLS assessment within %(words)s"), words=assessment_words),
            _interpolate(
                ngettext_lazy(
                    "Episodes mature for %(days)s day with an FLS assessment dated within %(days)s day of the fracture; "
                    "episodes whose patient died within the window without an assessment are left out.",
                    "Episodes mature for %(days)s days with an FLS assessment dated within %(days)s days of the fracture; "
                    "episodes whose patient died within the window without an assessment are left out.",
                    "days",
                ),
                days=assessment_window,
            ),
            window=assessment_window,
            event=f"e.fls_assessment = 'yes' AND {within('e.fls_assessment_date', assessment_window)}",
            event_date="fls_assessment_date",
            exclusions=("died_without_event",),
        ),
        KpiDefinition(
            "KPI4",
            _interpolate(_("DXA within %(words)s"), words=assessment_words),
            _interpolate(
                ngettext_lazy(
                    "Episodes mature for %(days)s day with a DXA scan dated within %(days)s day; episodes where a "
                    "clinician decided no scan was needed are not in the KPI's population, and those who died within "
                    "the window without one are left out.",
                    "Episodes mature for %(days)s days with a DXA scan dated within %(days)s days; episodes where a "
                    "clinician decided no scan was needed are not in the KPI's population, and those who died within "
                    "the window without one are left out.",
                    "days",
                ),
                days=assessment_window,
            ),
            population="e.dxa <> 'not_required'",
            population_words=_("only when a scan is required (a clinician decided it is not)"),
            window=assessment_window,
            event=f"e.dxa = 'yes' AND {within('e.dxa_date', assessment_window)}",
            event_date="dxa_date",
            exclusions=("died_without_event",),
        ),
        KpiDefinition(
            "KPI5",
            _("Falls risk assessment"),
            _("Eligible episodes with a falls-risk assessment by the FLS or a referral to a falls service."),
            event="e.falls_assessment IN ('yes', 'referred')",
        ),
        KpiDefinition(
            "KPI6",
            _("Medication recommended"),
            _("Eligible episodes in which anti-osteoporosis medication was recommended (a single cut: 50 %)."),
            event="e.aom_recommended = 'yes'",
            bands="single_50",
        ),
        KpiDefinition(
            "KPI7",
            _("Monitoring within 16 weeks"),
            _(
                "Episodes mature for 112 days with a first follow-up contact within 112 days; those who died "
                "within the window without one are left out."
            ),
            window=112,
            event=f"e.first_followup_date IS NOT NULL AND {within('e.first_followup_date', 112)}",
            event_date="first_followup_date",
            exclusions=("died_without_event",),
        ),
        KpiDefinition(
            "KPI8",
            _("Medication started within 16 weeks"),
            _(
                "Episodes with medication recommended, mature for 112 days, in which medication was started within "
                "112 days; those who died within the window without starting are left out."
            ),
            population="e.aom_recommended = 'yes'",
            population_words=_("only when medication was recommended"),
            window=112,
            event=f"e.aom_started = 'yes' AND {within('e.aom_started_date', 112)}",
            event_date="aom_started_date",
            exclusions=("died_without_event",),
        ),
        KpiDefinition(
            "KPI9",
            _("Strength and balance within 16 weeks"),
            _(
                "Episodes whose fracture is not a hip fracture, mature for 112 days, in which a strength-and-balance "
                "exercise intervention started within 112 days; those who died within the window without one are "
                "left out."
            ),
            population="e.fracture_site <> 'hip'",
            population_words=_("not for hip fractures"),
            window=112,
            event=f"e.sb_started = 'yes' AND {within('e.sb_started_date', 112)}",
            event_date="sb_started_date",
            exclusions=("died_without_event",),
        ),
        KpiDefinition(
            "KPI10",
            _("Medication at 52 weeks"),
            _(
                "Episodes in which medication was started, mature for 364 days, still prescribed medication at the "
                "second follow-up; those who died within 364 days are left out."
            ),
            population="e.aom_started = 'yes'",
            population_words=_("only when medication was started"),
            window=364,
            event="e.aom_at_52w = 'yes'",
            event_date="second_followup_date",
            exclusions=("died_in_window",),
        ),
        KpiDefinition(
            "KPI11",
            _("Data completeness"),
            _(
                "Eligible episodes whose required items are recorded: site, date, FLS assessment, DXA, falls "
                "assessment and medication recommended always; first follow-up, medication started and strength "
                "and balance once mature for 112 days (unless dead by then); second follow-up and medication at "
                "52 weeks when medication started and mature for 364 days (unless dead by then)."
            ),
            required_items=completeness_items(),
        ),
    )


IOF_2020 = KpiSet(
    "iof-2020",
    "IOF Capture the Fracture patient-level KPIs (2020)",
    "Javaid MK et al., Osteoporos Int 2020;31:1193-1204",
    _iof_kpis(84, _("12 weeks")),
)

# The UK FLS-DB audit's variant: 90-day windows for assessment and DXA; the rest as iof-2020
# (falls assessment or referral; strength and balance for non-hip fractures; 16- and 52-week rules).
FLS_DB = KpiSet(
    "fls-db",
    "UK FLS-DB audit variant",
    "Royal College of Physicians, Fracture Liaison Service Database",
    _iof_kpis(90, _("90 days")),
)

KPI_SETS: dict[str, KpiSet] = {kpi_set.code: kpi_set for kpi_set in (IOF_2020, FLS_DB)}
DEFAULT_KPI_SET = IOF_2020.code
# For model fields and forms: (code, name), the default first.
KPI_SET_CHOICES = [(code, kpi_set.name) for code, kpi_set in KPI_SETS.items()]


def kpi_name(kpi_set_code: str, code: str, stored: str = "") -> str:
    """A KPI's name in the reader's language; stored figures keep the English name they were computed with."""
    kpi_set = KPI_SETS.get(kpi_set_code)
    return next((kpi.name for kpi in (kpi_set.kpis if kpi_set else ()) if kpi.code == code), stored)


def get_kpi_set(code: str) -> KpiSet:
    try:
        return KPI_SETS[code]
    except KeyError:
        raise ValueError(f"unknown KPI set '{code}'; the sets are: {', '.join(KPI_SETS)}") from None
