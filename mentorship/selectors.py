"""Reads shared by pages, the API, tasks and the benchmark.

Matching is a cross-programme read and says so: it reads programme rows, offers, stored KPI
results (aggregates), expected caseloads and seat counts, never a patient-level row.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Avg, Count, F, Q
from django.http import Http404
from django.utils import timezone

from accounts import clock
from clinical.kpi_sets import DEFAULT_KPI_SET, get_kpi_set
from kpis.engine import band_of
from kpis.models import KpiResult
from mentorship import matching
from mentorship.models import (
    SEAT_HOLDING,
    TOPIC_KPIS,
    Booking,
    BookingStatus,
    CandidateProfile,
    ChampionOffer,
    JoinRequest,
    SeatProposal,
    TrainingDay,
)
from mentorship.permissions import MC
from programmes.authority import authority_for, roles_holding
from programmes.models import ExpectedCaseload, Programme, ProgrammeStatus
from recognition.scoring import GOLD, SILVER
from recognition.selectors import current_recognition, valid_recognitions

CHAMPION_LEVELS = (GOLD, SILVER)
HORIZON_DAYS = 183  # "the next 6 months"
MINIMUM_RATINGS = 3
WEAK_BANDS = ("red", "amber")


# --- Champions ----------------------------------------------------------------------------------


class OfferStatus:
    OPEN = "open"  # opted in and recognised silver or gold today
    PAUSED = "paused"  # opted in, but the recognition has lapsed (or is bronze)
    WITHDRAWN = "withdrawn"  # the lead closed the offer
    NONE = "none"


def offer_of(programme: Programme) -> ChampionOffer | None:
    return ChampionOffer.objects.filter(programme=programme).first()


def is_recognised_champion(programme: Programme, day: date | None = None) -> bool:
    recognition = current_recognition(programme, day)
    return recognition is not None and recognition.level in CHAMPION_LEVELS


def offer_status(programme: Programme, offer: ChampionOffer | None = None, day: date | None = None) -> str:
    offer = offer if offer is not None else offer_of(programme)
    if offer is None:
        return OfferStatus.NONE
    if not offer.is_open:
        return OfferStatus.WITHDRAWN
    return OfferStatus.OPEN if is_recognised_champion(programme, day) else OfferStatus.PAUSED


def open_champion_ids(day: date | None = None) -> set[int]:
    """Programmes whose offer is open today: opted in and holding a valid silver or gold recognition."""
    recognised = {r.programme_id for r in valid_recognitions(day) if r.level in CHAMPION_LEVELS}
    return set(
        ChampionOffer.objects.filter(is_open=True, programme_id__in=recognised).values_list("programme_id", flat=True)
    )


def open_offers_with_status(day: date | None = None) -> list[tuple[ChampionOffer, str]]:
    """The open offers, each with its status (open, or paused while its level is not silver or gold):
    two queries for the whole list, not one recognition query per champion."""
    champions = open_champion_ids(day)
    return [
        (offer, OfferStatus.OPEN if offer.programme_id in champions else OfferStatus.PAUSED)
        for offer in champion_offers().filter(is_open=True)
    ]


def champion_offers():
    """Every offer, open or paused (a cross-programme read of programme-level facts)."""
    return ChampionOffer.objects.select_related("programme").order_by("programme__name")


def rating_summary(programme: Programme) -> dict | None:
    """Mean and count of the ratings of this champion's days; None below three ratings."""
    found = Booking.objects.filter(training_day__programme=programme, rating__isnull=False).aggregate(
        mean=Avg("rating"), count=Count("id")
    )
    if found["count"] < MINIMUM_RATINGS:
        return None
    return {"mean": round(float(found["mean"]), 1), "count": found["count"]}


# --- Training days --------------------------------------------------------------------------------


def _with_counts(days):
    return days.annotate(
        held=Count("bookings", filter=Q(bookings__status__in=SEAT_HOLDING)),
        waiting=Count("bookings", filter=Q(bookings__status=BookingStatus.WAITING)),
    ).annotate(free_seats=F("seats") - F("held"))


def days_of_champion(programme: Programme):
    return _with_counts(TrainingDay.objects.for_programme(programme)).order_by("-date", "id")


def day_for(programme: Programme, pk) -> TrainingDay:
    """The champion's own day, or the same 404 as a missing one."""
    day = _with_counts(TrainingDay.objects.for_programme(programme)).filter(pk=pk).first()
    if day is None:
        raise Http404
    return day


def any_day(pk) -> TrainingDay:
    """A day as anyone logged in sees it in the list (programme-level facts only)."""
    day = _with_counts(TrainingDay.objects.all_programmes()).select_related("programme").filter(pk=pk).first()
    if day is None:
        raise Http404
    return day


def _mark_booking_state(day: TrainingDay, offer_open: bool, today: date) -> TrainingDay:
    """What a page shows of a day: whether its champion's offer is open and whether it still books
    (the booking service decides under the day's lock; this is the same rule, for display)."""
    day.offer_open = offer_open
    day.bookable = offer_open and day.date >= today and day.booking_deadline >= today
    return day


def public_day(pk, today: date | None = None) -> TrainingDay:
    day = any_day(pk)
    return _mark_booking_state(
        day, offer_status(day.programme) == OfferStatus.OPEN, today or clock.today(day.programme)
    )


@dataclass(frozen=True)
class DayFilters:
    language: str = ""
    country: str = ""
    month: str = ""  # YYYY-MM
    max_km: float | None = None


def upcoming_days(*, today: date | None = None, filters: DayFilters = DayFilters(), near: Programme | None = None):
    """Days from today on, with free seats, the champion's offer status and (from ``near``) the
    distance in km. A cross-programme read of programme-level facts."""
    today = today or timezone.localdate()
    days = (
        _with_counts(TrainingDay.objects.all_programmes().filter(date__gte=today))
        .select_related("programme")
        .order_by("date", "id")
    )
    if filters.language:
        days = days.filter(language=filters.language)
    if filters.country:
        days = days.filter(programme__country=filters.country)
    if filters.month:
        year, _sep, month = filters.month.partition("-")
        if year.isdigit() and month.isdigit():
            days = days.filter(date__year=int(year), date__month=int(month))
    open_ids = open_champion_ids(today)
    here = site_of(near) if near is not None else None
    found = []
    for day in days:
        _mark_booking_state(day, day.programme_id in open_ids, today)
        day.distance_km = matching.distance_km(here, site_of(day.programme)) if here is not None else None
        if filters.max_km is not None and (day.distance_km is None or day.distance_km > filters.max_km):
            continue
        found.append(day)
    return found


def day_languages() -> list[str]:
    today = timezone.localdate()
    return sorted(set(TrainingDay.objects.all_programmes().filter(date__gte=today).values_list("language", flat=True)))


def day_countries() -> list[str]:
    today = timezone.localdate()
    return sorted(
        set(TrainingDay.objects.all_programmes().filter(date__gte=today).values_list("programme__country", flat=True))
    )


# --- Bookings -------------------------------------------------------------------------------------


def bookings_of_day(day: TrainingDay):
    return Booking.objects.filter(training_day=day).select_related("candidate").prefetch_related("events")


def bookings_of_candidate(programme: Programme):
    return (
        Booking.objects.filter(candidate=programme)
        .select_related("training_day__programme")
        .order_by("-training_day__date", "id")
    )


def bookings_to_answer(programme: Programme):
    """Requests to the champion's days that wait for a mentor's answer."""
    return (
        Booking.objects.filter(training_day__programme=programme, status=BookingStatus.REQUESTED)
        .select_related("training_day__programme", "candidate")
        .order_by("training_day__date", "id")
    )


def booking_for(programme: Programme, pk) -> Booking:
    """A booking to one of the programme's days or by the programme as candidate; else the same 404."""
    booking = (
        Booking.objects.filter(Q(training_day__programme=programme) | Q(candidate=programme))
        .select_related("training_day__programme", "candidate")
        .filter(pk=pk)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def candidate_programmes_of(user):
    """The candidate sites ``user`` may book for (lead or coordinator there)."""
    return Programme.objects.filter(
        status=ProgrammeStatus.CANDIDATE,
        memberships__user=user,
        memberships__role__in=roles_holding(MC.TAKE_PART),
    ).order_by("name")


def open_proposals(programme: Programme):
    return SeatProposal.objects.filter(candidate=programme, status=SeatProposal.Status.OPEN).select_related(
        "training_day__programme"
    )


# --- Matching facts (aggregates only) ------------------------------------------------------------


def _latest_kpis(programme_ids) -> dict[int, list[dict]]:
    """Each programme's latest stored result with patients in it (its own KPI set): its KPI dicts."""
    latest = (
        KpiResult.objects.all_programmes()
        .filter(programme_id__in=programme_ids, kpi_set=F("programme__kpi_set"), episodes__gt=0)
        .order_by("programme_id", "-period_end", "period_kind")
        .distinct("programme_id")
        .only("programme_id", "kpis")
    )
    return {r.programme_id: r.kpis for r in latest}


def _latest_bands(programme_ids) -> dict[int, dict[str, str]]:
    return {pk: {k["code"]: k.get("band") for k in kpis} for pk, kpis in _latest_kpis(programme_ids).items()}


def _latest_percents(programme_ids) -> dict[int, dict[str, float]]:
    return {
        pk: {k["code"]: k["percent"] for k in kpis if k.get("percent") is not None}
        for pk, kpis in _latest_kpis(programme_ids).items()
    }


def topics_of_kpis(codes) -> frozenset[str]:
    codes = set(codes)
    return frozenset(topic for topic, kpis in TOPIC_KPIS.items() if codes & set(kpis))


def country_weak_kpis(countries) -> dict[str, set[str]]:
    """Per country, the KPIs whose mean over its programmes' latest figures is red or amber."""
    programmes = dict(
        Programme.objects.filter(country__in=countries)
        .exclude(status=ProgrammeStatus.CANDIDATE)
        .values_list("pk", "country")
    )
    percents = _latest_percents(programmes)
    definitions = get_kpi_set(DEFAULT_KPI_SET)
    weak: dict[str, set[str]] = {}
    for country in set(countries):
        by_code: dict[str, list[float]] = {}
        for pk, figures in percents.items():
            if programmes[pk] == country:
                for code, percent in figures.items():
                    by_code.setdefault(code, []).append(percent)
        weak[country] = {
            code
            for code, values in by_code.items()
            if band_of(definitions.get(code), statistics.fmean(values)) in WEAK_BANDS
        }
    return weak


def _yearly_size(programme_ids) -> dict[int, int]:
    """The latest expected caseload (non-spine + spine) of each programme."""
    rows = (
        ExpectedCaseload.objects.all_programmes()
        .filter(programme_id__in=programme_ids)
        .order_by("programme_id", "-year")
        .distinct("programme_id")
        .values_list("programme_id", "non_spine", "spine")
    )
    return {pk: non_spine + spine for pk, non_spine, spine in rows}


def _coordinates(programme: Programme) -> tuple[float | None, float | None]:
    if programme.latitude is None:
        return None, None
    return float(programme.latitude), float(programme.longitude)


def site_of(programme: Programme, **facts) -> matching.Site:
    latitude, longitude = _coordinates(programme)
    return matching.Site(
        key=programme.pk,
        name=programme.name,
        slug=programme.slug,
        country=str(programme.country),
        latitude=latitude,
        longitude=longitude,
        languages=frozenset(programme.languages),
        care_setting=programme.care_setting,
        **facts,
    )


def _bookable_days_ahead(programme_ids, today: date):
    """The champions' days still taking bookings in the next 6 months, with their seat counts."""
    return _with_counts(
        TrainingDay.objects.all_programmes().filter(
            programme_id__in=programme_ids,
            date__gte=today,
            date__lte=today + timedelta(days=HORIZON_DAYS),
            booking_deadline__gte=today,
        )
    )


def free_seats_by_champion(programme_ids, today: date | None = None) -> dict[int, int]:
    """Free seats on each champion's bookable days of the next 6 months."""
    found: dict[int, int] = {}
    days = _bookable_days_ahead(programme_ids, today or timezone.localdate())
    for programme_id, free in days.values_list("programme_id", "free_seats"):
        found[programme_id] = found.get(programme_id, 0) + max(free, 0)
    return found


def champion_sites(today: date | None = None) -> list[matching.Site]:
    """Every open champion as matching sees it."""
    offers = list(ChampionOffer.objects.filter(programme_id__in=open_champion_ids(today)).select_related("programme"))
    ids = [offer.programme_id for offer in offers]
    bands = _latest_bands(ids)
    sizes = _yearly_size(ids)
    free = free_seats_by_champion(ids, today)
    sites = []
    for offer in offers:
        green = [code for code, band in bands.get(offer.programme_id, {}).items() if band == "green"]
        site = site_of(
            offer.programme,
            yearly_fractures=sizes.get(offer.programme_id),
            topics=frozenset(offer.topics) | topics_of_kpis(green),
            free_seats=free.get(offer.programme_id, 0),
        )
        # A champion teaches in the offer's languages, not necessarily all its programme's.
        sites.append(matching.Site(**{**site.__dict__, "languages": frozenset(offer.languages)}))
    return sorted(sites, key=lambda s: s.name)


def candidate_sites(programmes) -> list[matching.Site]:
    """Candidate sites with their weak topics: their own red/amber KPIs, else their country's."""
    programmes = list(programmes)
    ids = [p.pk for p in programmes]
    profiles = {p.programme_id: p for p in CandidateProfile.objects.filter(programme_id__in=ids)}
    own = _latest_bands(ids)
    by_country = country_weak_kpis({str(p.country) for p in programmes if p.pk not in own})
    sites = []
    for programme in programmes:
        profile = profiles.get(programme.pk)
        if programme.pk in own:
            weak = [code for code, band in own[programme.pk].items() if band in WEAK_BANDS]
        else:
            weak = by_country.get(str(programme.country), set())
        sites.append(
            site_of(
                programme,
                yearly_fractures=profile.expected_yearly_fractures if profile else None,
                accepts_interpretation=profile.accepts_interpretation if profile else False,
                topics=topics_of_kpis(weak),
            )
        )
    return sites


def ranking_for(candidate: Programme, today: date | None = None) -> list[matching.Match]:
    """Champions for one candidate site, best first, each score shown in its parts."""
    (site,) = candidate_sites([candidate])
    return matching.rank(site, champion_sites(today))


# --- Cohort ---------------------------------------------------------------------------------------


def candidates_waiting(today: date | None = None):
    """Candidate sites without a visit: no seat held or attended, and no open proposal."""
    today = today or timezone.localdate()
    with_visit = Booking.objects.filter(
        Q(status__in=SEAT_HOLDING, training_day__date__gte=today) | Q(status=BookingStatus.ATTENDED)
    ).values("candidate_id")
    proposed = SeatProposal.objects.filter(status=SeatProposal.Status.OPEN).values("candidate_id")
    return (
        Programme.objects.filter(status=ProgrammeStatus.CANDIDATE)
        .exclude(pk__in=with_visit)
        .exclude(pk__in=proposed)
        .order_by("name")
    )


@dataclass
class Cohort:
    candidates: list[matching.Site]
    champions: list[matching.Site]
    days: list[matching.Day]
    day_rows: list[TrainingDay]
    scores: object  # numpy array, candidates × days

    def seats(self) -> list[int]:
        return [day.free_seats for day in self.days]


def cohort(today: date | None = None) -> Cohort:
    """Everything the cohort proposal needs: waiting candidates, open champions, their bookable days
    in the next 6 months with free seats (seats already proposed are not offered twice)."""
    today = today or timezone.localdate()
    champions = champion_sites(today)
    index = {site.key: i for i, site in enumerate(champions)}
    proposed = dict(
        SeatProposal.objects.filter(status=SeatProposal.Status.OPEN)
        .values("training_day_id")
        .annotate(n=Count("id"))
        .values_list("training_day_id", "n")
    )
    rows = [
        day
        for day in _bookable_days_ahead(list(index), today).select_related("programme").order_by("date", "id")
        if day.free_seats - proposed.get(day.pk, 0) > 0
    ]
    days = [
        matching.Day(
            key=day.pk,
            champion=index[day.programme_id],
            language=day.language,
            free_seats=day.free_seats - proposed.get(day.pk, 0),
        )
        for day in rows
    ]
    candidates = candidate_sites(candidates_waiting(today))
    return Cohort(candidates, champions, days, rows, matching.score_matrix(candidates, champions, days))


def pending_requests():
    return JoinRequest.objects.filter(status=JoinRequest.Status.PENDING).order_by("created_at")


def decided_requests(limit: int = 50):
    return JoinRequest.objects.exclude(status=JoinRequest.Status.PENDING).order_by("-decided_at")[:limit]


def pending_requests_for(user) -> int | None:
    """For IOF staff's home page: how many requests to join wait (None for everyone else)."""
    if not authority_for(user).can(MC.MANAGE):
        return None
    return pending_requests().count()
