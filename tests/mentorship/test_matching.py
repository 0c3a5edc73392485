"""The match score's parts by hand, the vectorised matrix against them, and the cohort assignment's
optimality against brute force."""

import itertools
import math
import random
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from kpis.models import KpiResult
from mentorship import matching, selectors
from mentorship.matching import Day, Site
from tests.conftest import today_is
from tests.factories import ProgrammeFactory
from tests.mentorship.conftest import open_offer, publish_day

KAZAN = Site(
    1,
    name="Kazan",
    country="RU",
    latitude=55.7961,
    longitude=49.1064,
    languages=frozenset({"ru"}),
    care_setting="inpatient",
    yearly_fractures=650,
    topics=frozenset({"case_finding", "dxa"}),
)
YAROSLAVL = Site(
    2,
    name="Yaroslavl",
    country="RU",
    latitude=57.6261,
    longitude=39.8845,
    languages=frozenset({"ru", "en"}),
    care_setting="mixed",
    yearly_fractures=1040,
    topics=frozenset({"case_finding", "setup"}),
    free_seats=5,
)


def test_distance_is_great_circle():
    london = Site(1, latitude=51.5074, longitude=-0.1278)
    paris = Site(2, latitude=48.8566, longitude=2.3522)
    assert matching.distance_km(london, paris) == pytest.approx(343.6, abs=0.5)
    assert matching.distance_km(london, Site(3)) is None


def test_each_part_of_the_score_by_hand():
    found = matching.match(KAZAN, YAROSLAVL)
    parts = {p.name: p.points for p in found.parts}
    assert parts == {
        "language": 25.0,
        "country": 10.0,
        "distance": round(20 * (1 - 597.8958 / 3000), 2),  # 16.01
        "setting": 5.0,  # one of them is mixed
        "size": 6.25,  # 10 × 650 / 1040
        "strength": 7.5,  # 15 × 1 of 2 weak topics
        "availability": 5.0,  # 10 × 5 / 10
    }
    assert found.total == pytest.approx(74.76)
    assert {p.name: p.detail for p in found.parts}["distance"] == "598 km"


def test_no_shared_language_is_no_match_unless_interpretation_is_accepted():
    milano = Site(3, name="Milano", country="IT", languages=frozenset({"it", "en"}))
    assert matching.match(KAZAN, milano).feasible is False
    interpreted = matching.match(Site(**{**KAZAN.__dict__, "accepts_interpretation": True}), milano)
    assert interpreted.feasible is True
    assert {p.name: p.points for p in interpreted.parts}["language"] == 10.0


@pytest.mark.parametrize(
    ("a", "b", "points"),
    [
        ("inpatient", "inpatient", 10.0),
        ("mixed", "outpatient", 5.0),
        ("inpatient", "outpatient", 0.0),
        ("", "mixed", 0.0),
    ],
)
def test_care_setting_points(a, b, points):
    assert matching.setting_points(a, b) == points


@pytest.mark.parametrize(("weak", "points"), [(set(), 0.0), ({"dxa"}, 0.0), ({"setup"}, 15.0)])
def test_strength_points(weak, points):
    assert matching.strength_points(frozenset(weak), frozenset({"setup", "data"})) == points


@pytest.mark.parametrize(("free", "points"), [(0, 0.0), (3, 3.0), (10, 10.0), (25, 10.0)])
def test_availability_counts_up_to_ten_seats(free, points):
    assert matching.availability_points(free) == points


def test_far_away_scores_no_distance_points():
    assert matching.distance_points(3000) == 0.0
    assert matching.distance_points(4500) == 0.0
    assert matching.distance_points(0) == 20.0


def test_the_ranking_puts_unusable_languages_last():
    milano = Site(3, name="Milano", country="IT", languages=frozenset({"it"}))
    ranked = matching.rank(KAZAN, [milano, YAROSLAVL])
    assert [m.champion.name for m in ranked] == ["Yaroslavl", "Milano"]
    assert ranked[1].feasible is False


def random_site(rng, key, champion=False):
    return Site(
        key,
        name=f"site {key}",
        country=rng.choice(["RU", "IT", "FR"]),
        latitude=rng.uniform(40, 60) if rng.random() > 0.1 else None,
        longitude=rng.uniform(-5, 50) if rng.random() > 0.1 else None,
        languages=frozenset(rng.sample(["ru", "it", "fr", "en"], rng.randint(1, 2))),
        care_setting=rng.choice(["inpatient", "outpatient", "mixed", ""]),
        yearly_fractures=rng.choice([None, rng.randint(100, 2000)]),
        topics=frozenset(rng.sample(["case_finding", "dxa", "falls", "data", "setup"], rng.randint(0, 3))),
        accepts_interpretation=(not champion) and rng.random() < 0.3,
        free_seats=rng.randint(0, 12) if champion else 0,
    )


def cohort_case(seed, n_candidates, n_champions, n_days):
    rng = random.Random(seed)
    candidates = [random_site(rng, i) for i in range(n_candidates)]
    champions = [random_site(rng, 100 + j, champion=True) for j in range(n_champions)]
    days = []
    for k in range(n_days):
        champion = rng.randrange(n_champions)
        language = rng.choice(sorted(champions[champion].languages))
        days.append(Day(1000 + k, champion, language, rng.randint(1, 2)))
    return candidates, champions, days


@pytest.mark.parametrize("seed", range(10))
def test_the_matrix_agrees_with_the_parts_shown(seed):
    candidates, champions, days = cohort_case(seed, 6, 4, 5)
    scores = matching.score_matrix(candidates, champions, days)
    for i, candidate in enumerate(candidates):
        for j, day in enumerate(days):
            found = matching.match(candidate, champions[day.champion], frozenset({day.language}))
            if found.feasible:
                assert scores[i, j] == pytest.approx(found.total, abs=0.02)
            else:
                assert math.isnan(scores[i, j])


def brute_force_best(scores, seats):
    """Every way of giving each candidate one seat or none, within the seats: the best total."""
    n, m = scores.shape
    best = 0.0
    for choice in itertools.product([None, *range(m)], repeat=n):
        used = [0] * m
        total = 0.0
        for row, column in enumerate(choice):
            if column is None:
                continue
            if math.isnan(scores[row, column]):
                break
            used[column] += 1
            total += scores[row, column]
        else:
            if all(used[c] <= seats[c] for c in range(m)):
                best = max(best, total)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_the_assignment_is_optimal_against_brute_force(seed):
    rng = random.Random(seed)
    candidates, champions, days = cohort_case(seed, rng.randint(2, 6), rng.randint(1, 3), rng.randint(1, 3))
    scores = matching.score_matrix(candidates, champions, days)
    seats = [d.free_seats for d in days]
    pairs = matching.optimal_assignment(scores, seats)
    assert len({row for row, _c in pairs}) == len(pairs)  # one seat per candidate
    assert all(sum(1 for _r, c in pairs if c == column) <= seats[column] for column in range(len(days)))
    assert all(not math.isnan(scores[r, c]) for r, c in pairs)
    assert matching.total(scores, pairs) == pytest.approx(brute_force_best(scores, seats))
    assert matching.total(scores, matching.greedy_assignment(scores, seats)) <= matching.total(scores, pairs) + 1e-9


def test_optimal_beats_greedy_where_greedy_is_short_sighted():
    scores = np.array([[10.0, 9.0], [8.0, np.nan]])
    assert matching.greedy_assignment(scores, [1, 1]) == [(0, 0)]
    assert matching.optimal_assignment(scores, [1, 1]) == [(0, 1), (1, 0)]


def test_leaving_a_candidate_out_is_allowed_when_it_raises_the_total():
    scores = np.array([[100.0, 1.0], [1.0, np.nan]])
    assert matching.optimal_assignment(scores, [1, 0]) == [(0, 0)]


# --- From the database (aggregates only) ----------------------------------------------------------


def store_result(programme, bands: dict[str, str], percents: dict[str, float] | None = None):
    today = timezone.localdate()
    kpis = [
        {"code": code, "band": band, "percent": (percents or {}).get(code, 90.0 if band == "green" else 30.0)}
        for code, band in bands.items()
    ]
    return KpiResult.objects.create(
        programme=programme,
        kpi_set=programme.kpi_set,
        period_kind="rolling12",
        period_start=today - timedelta(days=365),
        period_end=today,
        as_of=today,
        computed_at=timezone.now(),
        episodes=40,
        kpis=kpis,
    )


def test_a_champion_is_strong_in_its_topics_and_its_green_kpis(champion, mentor):
    store_result(champion, {"KPI4": "green", "KPI5": "red"})
    publish_day(champion, mentor, in_days=30, seats=3)
    publish_day(champion, mentor, in_days=300, seats=9)  # beyond 6 months: not counted
    (site,) = selectors.champion_sites()
    assert site.topics == {"dxa"}
    assert site.languages == {"ru", "en"}
    assert site.free_seats == 3


def test_paused_and_withdrawn_offers_are_not_matched(champion, lead, recognise, other_programme, make_member):
    from recognition.models import Recognition

    other_lead = make_member(other_programme, "lead")
    recognise(other_programme, "gold")
    open_offer(other_programme, other_lead, languages=("fr",))
    Recognition.objects.for_programme(champion).update(revoked_at=timezone.now())
    assert [s.name for s in selectors.champion_sites()] == [other_programme.name]
    assert selectors.offer_status(champion) == selectors.OfferStatus.PAUSED


def test_a_candidate_without_figures_is_weak_where_its_country_is(candidate, champion):
    peer = ProgrammeFactory(country="RU")
    store_result(champion, {"KPI1": "green", "KPI4": "red"}, {"KPI1": 90.0, "KPI4": 30.0})
    store_result(peer, {"KPI1": "red", "KPI4": "red"}, {"KPI1": 30.0, "KPI4": 40.0})
    # Country means: KPI1 60 % (amber, weak), KPI4 35 % (red, weak).
    (site,) = selectors.candidate_sites([candidate])
    assert site.topics == {"case_finding", "dxa"}


def test_a_candidate_with_its_own_figures_is_weak_where_they_are(candidate):
    store_result(candidate, {"KPI5": "amber", "KPI11": "green"})
    (site,) = selectors.candidate_sites([candidate])
    assert site.topics == {"falls"}


def test_the_ranking_for_a_candidate_shows_every_part(candidate, mentee, champion, mentor):
    from mentorship import services

    services.candidate_profile_save(
        programme=candidate,
        actor=mentee,
        expected_yearly_fractures=650,
        accepts_interpretation=False,
        contact_name="A",
        contact_email="a@x.example",
    )
    publish_day(champion, mentor)
    (found,) = selectors.ranking_for(candidate)
    assert found.champion.name == champion.name
    assert [p.name for p in found.parts] == list(matching.WEIGHTS)
    parts = {p.name: p.points for p in found.parts}
    assert (parts["language"], parts["country"], parts["availability"]) == (25.0, 10.0, 3.0)
    assert parts["size"] == 0.0  # the champion has no expected caseload


def test_the_cohort_reads_waiting_candidates_and_free_seats(candidate, mentee, champion, mentor, book):
    day = publish_day(champion, mentor, seats=2)
    cohort = selectors.cohort()
    assert [c.name for c in cohort.candidates] == [candidate.name]
    assert cohort.seats() == [2]
    book(day)
    assert selectors.cohort().candidates == []  # a seat held: no longer waiting for a visit


def test_an_attended_visit_ends_the_wait_and_a_declined_one_does_not(candidate, mentee, champion, mentor, book):

    from mentorship import services
    from mentorship.models import BookingStatus as S
    from tests.mentorship.conftest import days_from_today

    day = publish_day(champion, mentor, seats=2)
    services.booking_transition(booking=book(day, 1), to=S.DECLINED, actor=mentor, reason="Too early")
    assert [p.pk for p in selectors.candidates_waiting()] == [candidate.pk]
    booking = services.booking_transition(booking=book(day, 2), to=S.CONFIRMED, actor=mentor)
    with today_is(days_from_today(30)):
        services.booking_transition(booking=booking, to=S.ATTENDED, actor=mentor)
    with today_is(days_from_today(60)):
        assert list(selectors.candidates_waiting()) == []
