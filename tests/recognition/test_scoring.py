"""The scoring rule, table-driven (recognition.md, "Scoring rule")."""

from fractions import Fraction

import pytest

from recognition.scoring import domain_result, levels_for, overall_level, suggested_score


@pytest.mark.parametrize(
    ("scores", "level"),
    [
        ([3, 3, 2, 2], "gold"),  # 2.5 exactly
        ([3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], "silver"),  # 2.03
        ([3, 2], "gold"),
        ([2, 3, 2], "silver"),  # 2.3333
        ([2, 1], "silver"),  # 1.5 exactly
        ([2, 1, 1], "bronze"),  # 1.3333
        ([1, 1, 1, 0], "bronze"),  # 0.75 exactly
        ([1, 0, 0], "none"),  # 0.3333
        ([1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0], "none"),  # 0.5
        ([3, 2, 2, 3, 2, 2, 2, 2, 3, 3, 3, 2, 2, 2, 2, 2, 2, 3, 3, 3], "silver"),  # 2.45: just below gold
        ([0], "none"),
    ],
)
def test_domain_level_from_the_unrounded_mean(scores, level):
    assert domain_result("hip", scores).level == level


def test_a_mean_just_below_a_threshold_does_not_round_up():
    # 149 ones and 151 twos over 300 pairs: 1.5033; 150 ones, 150 twos: 1.5; 151 ones: 1.4967
    assert domain_result("hip", [1] * 151 + [2] * 149).level == "bronze"
    assert domain_result("hip", [1] * 150 + [2] * 150).level == "silver"


def test_a_domain_with_only_not_applicable_rows_is_not_applicable():
    result = domain_result("vertebral", [None, None])
    assert (result.applicable, result.mean, result.level) == (False, None, "none")


@pytest.mark.parametrize(
    ("levels", "overall"),
    [
        (["gold"], "gold"),
        (["none"], "none"),
        (["gold", "none"], "gold"),  # half of two
        (["gold", "bronze", "none"], "bronze"),  # silver: 1 of 3 is not half
        (["gold", "silver", "none"], "silver"),
        (["gold", "gold", "silver"], "gold"),
        (["gold", "silver", "bronze", "none"], "silver"),  # two of four reach silver
        (["gold", "none", "none", "none"], "none"),  # one of four reaches bronze
        (["gold", "gold", "none", "none"], "gold"),  # tie: two of four are gold
        (["silver", "silver", "bronze", "none", "none"], "bronze"),  # three of five reach bronze
        (["gold", "gold", "silver", "none", "none"], "silver"),
        (["gold", "gold", "none", "none", "none"], "none"),
        ([], "none"),
    ],
)
def test_overall_level_is_the_highest_reached_by_half_of_the_applicable_domains(levels, overall):
    assert overall_level(levels) == overall


def test_levels_for_ignores_not_applicable_domains_and_rounds_the_mean_to_four_places():
    scores = {("hip", 1): 2, ("hip", 2): 3, ("hip", 3): 2, ("vertebral", 1): None, ("organisation", 5): 0}
    result = levels_for(scores).as_dict()
    assert result["domains"] == [
        {"domain": "hip", "applicable": True, "mean": 2.3333, "level": "silver"},
        {"domain": "inpatient", "applicable": False, "mean": None, "level": "none"},
        {"domain": "outpatient", "applicable": False, "mean": None, "level": "none"},
        {"domain": "vertebral", "applicable": False, "mean": None, "level": "none"},
        {"domain": "organisation", "applicable": True, "mean": 0.0, "level": "none"},
    ]
    assert result["level"] == "silver"


def test_the_exact_mean_is_kept():
    assert domain_result("hip", [2, 3, 2]).mean == Fraction(7, 3)


def _kpi(band, percent=70.0):
    return {"band": band, "percent": percent}


@pytest.mark.parametrize(
    ("values", "score"),
    [
        ([_kpi("green"), _kpi("green")], 3),
        ([_kpi("green"), _kpi("amber")], 2),
        ([_kpi("amber")], 2),
        ([_kpi("green"), _kpi("red")], 1),
        ([_kpi("red")], 1),
        ([_kpi("green"), {"band": None, "percent": None}], 1),  # one has no figure: any percentage → 1
        ([{"band": None, "percent": None}], 0),
        ([None], 0),
        ([], 0),
    ],
)
def test_suggested_score_from_the_bands(values, score):
    assert suggested_score(values) == score
