"""Cohort matching: time of the optimal assignment, and its total score against a greedy one.

    .venv/bin/python bench/matching_bench.py [--candidates 500] [--champions 200] [--seats 5] [--repeat 3]

Builds a synthetic cohort (fixed seed): candidate sites and champions spread over 12 countries with
their languages, coordinates, care settings, sizes and weak/strong topics; each champion publishes
one training day with ``--seats`` free seats in one of its teaching languages; a fifth of the
candidates accept interpretation. Then, as IOF staff's matching page does (mentorship.matching):
  1. the score matrix, candidates × days (vectorised, the same formulas as the ranking's parts);
  2. the optimal assignment (scipy's linear_sum_assignment over the seats plus one "no seat"
     column per candidate);
  3. the greedy assignment (best remaining pair first) for comparison.
Prints the best of ``--repeat`` runs for each step, the totals, and how many candidates each
placed. The facts themselves come from a few aggregate queries (mentorship.selectors.cohort), not
timed here. No database needed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTRIES = {
    "RU": (["ru"], (55.0, 45.0)),
    "FR": (["fr"], (46.5, 2.5)),
    "IT": (["it"], (43.0, 12.5)),
    "ES": (["es"], (40.4, -3.7)),
    "GB": (["en"], (53.0, -1.5)),
    "DE": (["de"], (51.0, 10.0)),
    "PL": (["pl"], (52.0, 19.0)),
    "TW": (["zh"], (24.0, 121.0)),
    "BR": (["pt"], (-15.0, -47.0)),
    "PT": (["pt"], (39.5, -8.0)),
    "CH": (["de", "fr", "it"], (46.8, 8.2)),
    "KZ": (["ru", "kk"], (48.0, 67.0)),
}
TOPICS = ["case_finding", "vertebral", "assessment", "dxa", "falls", "treatment", "follow_up", "data", "setup"]
SETTINGS = ["inpatient", "outpatient", "mixed", "primary_care"]


def cohort(n_candidates: int, n_champions: int, seats: int, seed: int = 20261123):
    from mentorship.matching import Day, Site

    rng = random.Random(seed)

    def site(key: int, champion: bool) -> Site:
        country = rng.choice(list(COUNTRIES))
        languages, (lat, lon) = COUNTRIES[country]
        spoken = set(rng.sample(languages, 1))
        if rng.random() < (0.8 if champion else 0.3):
            spoken.add("en")
        return Site(
            key,
            name=f"{'champion' if champion else 'candidate'} {key}",
            country=country,
            latitude=lat + rng.uniform(-4, 4),
            longitude=lon + rng.uniform(-6, 6),
            languages=frozenset(spoken),
            care_setting=rng.choice(SETTINGS),
            yearly_fractures=rng.randint(200, 3000),
            topics=frozenset(rng.sample(TOPICS, rng.randint(1, 4))),
            accepts_interpretation=not champion and rng.random() < 0.2,
            free_seats=seats if champion else 0,
        )

    candidates = [site(i, False) for i in range(n_candidates)]
    champions = [site(100_000 + j, True) for j in range(n_champions)]
    days = [Day(200_000 + j, j, rng.choice(sorted(champion.languages)), seats) for j, champion in enumerate(champions)]
    return candidates, champions, days


def best_of(repeat: int, step):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--champions", type=int, default=200)
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from bench.benchdb import setup_django

    setup_django()
    import numpy as np

    from mentorship import matching

    candidates, champions, days = cohort(args.candidates, args.champions, args.seats)
    seats = [d.free_seats for d in days]
    print(
        f"cohort: {len(candidates)} candidates, {len(champions)} champions, {len(days)} days, "
        f"{sum(seats)} seats (fixed seed)"
    )
    t_matrix, scores = best_of(args.repeat, lambda: matching.score_matrix(candidates, champions, days))
    t_optimal, optimal = best_of(args.repeat, lambda: matching.optimal_assignment(scores, seats))
    t_greedy, greedy = best_of(args.repeat, lambda: matching.greedy_assignment(scores, seats))
    feasible = int((~np.isnan(scores)).sum())
    print(
        f"score matrix     {t_matrix * 1000:9.1f} ms   ({scores.shape[0]} x {scores.shape[1]}, {feasible} usable pairs)"
    )
    print(
        f"optimal          {t_optimal * 1000:9.1f} ms   total {matching.total(scores, optimal):10.2f}   placed {len(optimal)}"
    )
    print(
        f"greedy           {t_greedy * 1000:9.1f} ms   total {matching.total(scores, greedy):10.2f}   placed {len(greedy)}"
    )
    gain = matching.total(scores, optimal) - matching.total(scores, greedy)
    print(f"matrix + optimal {(t_matrix + t_optimal):9.3f} s    (target < 5 s); optimal − greedy = {gain:+.2f}")
    from bench.report import summary

    summary(
        "matching",
        [
            (
                f"cohort matching, {len(candidates)} candidates x {len(champions)} champions",
                t_matrix + t_optimal,
                "s",
                "<",
                5,
            ),
            ("optimal - greedy total score", gain, "", ">=", 0),
        ],
    )


if __name__ == "__main__":
    main()
