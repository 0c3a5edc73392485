"""Reads shared by the recognition pages, tasks and commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clinical.kpi_sets import get_kpi_set
from recognition import scoring
from recognition.models import (
    Application,
    CatalogueVersion,
    Recognition,
    ReviewAssignment,
    Score,
    Standard,
    State,
)

OPEN_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.RECONCILIATION, State.DECISION)


def current_catalogue() -> CatalogueVersion | None:
    """The newest published catalogue version: new applications are made against it."""
    return CatalogueVersion.objects.filter(published_at__isnull=False).order_by("-number").first()


def current_thresholds() -> scoring.Thresholds:
    catalogue = current_catalogue()
    return catalogue.thresholds if catalogue else scoring.DEFAULT_THRESHOLDS


def programme_applications(programme):
    return Application.objects.for_programme(programme).select_related("catalogue").order_by("-created_at")


def get_application_for_programme(programme, application_id: int) -> Application:
    from programmes.tenancy import get_owned_or_404

    return get_owned_or_404(Application, programme, pk=application_id)


def current_recognition(programme, day=None) -> Recognition | None:
    """The programme's valid recognition on ``day`` (today by default), or None."""
    day = day or timezone.localdate()
    return (
        Recognition.objects.for_programme(programme)
        .filter(revoked_at__isnull=True, valid_until__gte=day)
        .order_by("-decided_at")
        .first()
    )


def valid_recognitions(day=None):
    """Every programme's valid recognition (a cross-programme read for the map, mentorship, summary)."""
    day = day or timezone.localdate()
    return (
        Recognition.objects.all_programmes()
        .filter(revoked_at__isnull=True, valid_until__gte=day)
        .select_related("programme")
        .order_by("programme_id", "-decided_at")
        .distinct("programme_id")
    )


def reviewer_queue(reviewer):
    """The reviewer's assignments, open ones first (their own grants only)."""
    return (
        ReviewAssignment.objects.filter(reviewer=reviewer)
        .select_related("application__programme")
        .annotate(scored=Count("scores"))
        .order_by("submitted_at", "due_date")
    )


def staff_applications():
    """Every application past draft, for IOF staff's desk (a cross-programme read of aggregates)."""
    return (
        Application.objects.all_programmes()
        .exclude(state=State.DRAFT)
        .select_related("programme")
        .prefetch_related("assignments__reviewer")
        .annotate(
            reviews_done=Count("assignments", filter=Q(assignments__submitted_at__isnull=False)),
        )
        .order_by("state", "submitted_at")
    )


def suggestions(application: Application) -> dict[int, int | None]:
    """Suggested score per standard with KPI evidence (None for organisational standards)."""
    return {
        standard.number: (
            scoring.suggested_score([application.kpi(code) for code in standard.kpi_codes])
            if standard.kpi_codes
            else None
        )
        for standard in application.standards
    }


def scores_of(assignment: ReviewAssignment) -> dict[tuple[str, int], Score]:
    return {(score.domain, score.standard): score for score in assignment.scores.all()}


@dataclass
class PairScores:
    standard: Standard
    domain: str
    scores: list[int | None]  # one per reviewer, in assignment order
    adjudicated: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def disagree(self) -> bool:
        known = [s for s in self.scores if s is not None]
        return len(known) == 2 and abs(known[0] - known[1]) > 1

    @property
    def final(self) -> int | None:
        """The adjudicated score, or else the lower of the two."""
        if self.adjudicated is not None:
            return self.adjudicated
        known = [s for s in self.scores if s is not None]
        if len(known) < 2 or self.disagree:
            return None
        return min(known)


def pair_scores(application: Application) -> list[PairScores]:
    assignments = list(application.assignments.order_by("assigned_at", "pk").prefetch_related("scores"))
    by_assignment = [scores_of(a) for a in assignments]
    adjudicated = {(a.domain, a.standard): a.score for a in application.adjudications.all()}
    pairs = []
    for standard, domain in application.pairs():
        key = (domain, standard.number)
        found = [scores.get(key) for scores in by_assignment]
        pairs.append(
            PairScores(
                standard,
                domain,
                [s.score if s else None for s in found],
                adjudicated.get(key),
                [s.comment for s in found if s and s.comment],
            )
        )
    return pairs


def computed_result(application: Application, pairs: list[PairScores] | None = None) -> scoring.Result:
    """Levels from the final scores (adjudicated, else the lower of the two reviewers')."""
    pairs = pair_scores(application) if pairs is None else pairs
    finals = {(pair.domain, pair.standard.number): pair.final or 0 for pair in pairs}
    return scoring.levels_for(finals, application.catalogue.thresholds)


def due_reminders(days: int, later_days: int | None, day):
    """Recognitions whose reminder ``days`` before expiry is due and not yet sent. A recognition
    already inside the next reminder's window (``later_days``) gets that one instead."""
    window = Q(valid_until__lte=day + timedelta(days=days), valid_until__gte=day)
    if later_days is not None:
        window &= Q(valid_until__gt=day + timedelta(days=later_days))
    return Recognition.objects.all_programmes().filter(
        window, revoked_at__isnull=True, **{f"reminder_{days}_sent_at__isnull": True}
    )


@dataclass
class PairView:
    """One (standard, domain) pair as the lead, reviewers and staff see it."""

    standard: Standard
    domain: str
    kpis: list[dict]
    suggested: int | None
    answer: object | None  # Answer
    evidence: list


def pair_views(application: Application) -> list[PairView]:
    suggested = suggestions(application)
    answers = {(a.standard, a.domain): a for a in application.answers.all()}
    evidence: dict[tuple[int, str], list] = {}
    for item in application.evidence.all():
        evidence.setdefault((item.standard, item.domain), []).append(item)
    return [
        PairView(
            standard,
            domain,
            [application.kpi(code) or {"code": code, "percent": None, "band": None} for code in standard.kpi_codes],
            suggested[standard.number],
            answers.get((standard.number, domain)),
            evidence.get((standard.number, domain), []),
        )
        for standard, domain in application.pairs()
    ]


@dataclass
class SelfAssessment:
    result: scoring.Result
    estimates: dict[tuple[str, int], int]
    hints: dict[str, list[str]]  # per domain: what would raise it


def frozen_rows(application: Application) -> list[dict]:
    """The frozen figures the application rests on, one row per KPI of its set (all eleven, in
    order): its name, value, numerator and denominator, band."""
    kpi_set = get_kpi_set(application.frozen_kpis["kpi_set"])
    return [{"kpi": kpi, "value": application.kpi(kpi.code) or {}} for kpi in kpi_set.kpis]


def self_assessment(application: Application) -> SelfAssessment:
    """The level the frozen KPIs (suggested scores) and the lead's claimed levels would give, and
    per domain the KPI changes that would lift a standard."""
    kpi_set = get_kpi_set(application.frozen_kpis["kpi_set"])
    estimates: dict[tuple[str, int], int] = {}
    hints: dict[str, list[str]] = {domain: [] for domain in application.domains}
    for pair in pair_views(application):
        key = (pair.domain, pair.standard.number)
        if pair.suggested is not None:
            estimates[key] = pair.suggested
            if pair.suggested < 3:
                before = len(hints[pair.domain])
                for kpi in pair.kpis:
                    lifted = scoring.suggested_score(
                        [{**k, "band": "green", "percent": 100} if k is kpi else k for k in pair.kpis]
                    )
                    if kpi.get("band") == "green" or lifted <= pair.suggested:
                        continue
                    value = _("no figure") if kpi.get("percent") is None else f"{kpi['percent']} %"
                    hints[pair.domain].append(
                        _("%(code)s at %(value)s: green (%(target)s) would lift standard %(number)s to %(to)s")
                        % {
                            "code": kpi["code"],
                            "value": value,
                            "target": kpi_set.get(kpi["code"]).green_from,
                            "number": pair.standard.number,
                            "to": lifted,
                        }
                    )
                if len(hints[pair.domain]) == before:  # no single KPI lifts it: all of them together
                    hints[pair.domain].append(
                        _("%(codes)s all green would lift standard %(number)s to 3")
                        % {
                            "codes": ", ".join(k["code"] for k in pair.kpis if k.get("band") != "green"),
                            "number": pair.standard.number,
                        }
                    )
        else:
            claimed = pair.answer.claimed_score if pair.answer and pair.answer.text.strip() else None
            estimates[key] = claimed or 0
            if (claimed or 0) < 3:
                hints[pair.domain].append(
                    _("Standard %(number)s: %(asks)s")
                    % {"number": pair.standard.number, "asks": pair.standard.local_asks((claimed or 0) + 1)}
                )
    return SelfAssessment(scoring.levels_for(estimates, application.catalogue.thresholds), estimates, hints)


def recognition_summary(day=None) -> dict:
    """Valid recognitions counted by level and by country (a cross-programme read of decisions)."""
    day = day or timezone.localdate()
    current = list(valid_recognitions(day))
    by_level = dict.fromkeys(scoring.LEVELS, 0)
    by_country: dict[str, dict[str, int]] = {}
    for recognition in current:
        by_level[recognition.level] += 1
        country = by_country.setdefault(recognition.programme.country.code, dict.fromkeys(scoring.LEVELS, 0))
        country[recognition.level] += 1
    return {
        "as_of": day.isoformat(),
        "recognised": len(current),
        "by_level": by_level,
        "by_country": [{"country": code, **levels} for code, levels in sorted(by_country.items())],
    }


def open_reviews_of(actor) -> int | None:
    """How many assigned reviews the reviewer has still to submit (None: not a reviewer)."""
    from programmes.authority import authority_for
    from recognition.permissions import RC

    if not authority_for(actor).can(RC.QUEUE):
        return None
    return ReviewAssignment.objects.filter(
        reviewer=actor, submitted_at__isnull=True, application__state=State.UNDER_REVIEW
    ).count()


def staff_open_applications(actor) -> int | None:
    """How many applications wait for IOF staff or their reviewers (None: not IOF staff)."""
    from programmes.authority import authority_for
    from recognition.permissions import RC

    if not authority_for(actor).can(RC.MANAGE):
        return None
    return Application.objects.all_programmes().filter(state__in=OPEN_STATES).count()


def assignments_in_order(application: Application):
    """The application's reviews in the order that names them "Reviewer A" and "Reviewer B"."""
    return application.assignments.order_by("assigned_at", "pk")


def reviewer_letter(application: Application, user) -> str | None:
    """ "A" or "B" when ``user`` reviews this application: how the applicant knows them."""
    ids = list(assignments_in_order(application).values_list("reviewer_id", flat=True))
    return "AB"[ids.index(user.pk) % 2] if getattr(user, "pk", None) in ids else None


def returned_comments(application: Application) -> list[tuple[str, str]]:
    """When changes were requested: the reviewers' comments, per pair, without their names."""
    if (
        application.state != State.DRAFT
        or not application.transitions.filter(to_state=State.DRAFT, from_state__gt="").exists()
    ):
        return []
    found = []
    for index, assignment in enumerate(assignments_in_order(application)):
        for score in assignment.scores.exclude(comment="").order_by("standard", "domain"):
            where = {"letter": "AB"[index % 2], "number": score.standard, "domain": scoring.DOMAIN_NAMES[score.domain]}
            found.append((_("Reviewer %(letter)s, standard %(number)s, %(domain)s") % where, score.comment))
    return found
