"""The calculator's model, term by term, against hand-computed cases (network/benefits.py)."""

import pytest

from network.benefits import Cohort, Parameters, all_green, estimate, subsequent_risk

P = Parameters(
    currency="GBP",
    risk_overall=0.2,
    relative_risk_reduction=0.25,
    hip_share=0.3,
    hip_cost=10_000,
    non_hip_cost=2_000,
    fls_annual_cost=50_000,
    horizon_years=2,
    risk_by_site={"hip": 0.3, "spine": 0.4},
)


@pytest.mark.parametrize(
    ("sites", "expected"),
    [
        ({}, 0.2),  # no site known: the overall risk
        ({"wrist": 10}, 0.2),  # a site without its own risk: the overall risk
        ({"hip": 10}, 0.3),
        ({"hip": 1, "spine": 1}, 0.35),  # (0.3 + 0.4) / 2
        ({"hip": 2, "wrist": 2}, 0.25),  # (2 x 0.3 + 2 x 0.2) / 4
        ({"hip": 1, "spine": 2, "wrist": 1}, 0.325),  # (0.3 + 0.8 + 0.2) / 4
    ],
)
def test_subsequent_risk_is_the_site_weighted_mean(sites, expected):
    assert subsequent_risk(P, sites) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("cohort", "terms"),
    [
        # 1000 x 0.5 x 0.8 = 400 treated; x 0.2 x 0.25 = 20 avoided; 6 hip, 14 other;
        # 60,000 + 28,000 = 88,000 avoided; FLS 2 x 50,000 = 100,000; net -12,000.
        (
            Cohort(identified=1000, share_started=0.5, share_persisting=0.8),
            {
                "treated": 400,
                "fractures_avoided": 20,
                "hip_avoided": 6,
                "non_hip_avoided": 14,
                "hip_costs_avoided": 60_000,
                "non_hip_costs_avoided": 28_000,
                "costs_avoided": 88_000,
                "fls_cost": 100_000,
                "net_saving": -12_000,
            },
        ),
        # All hip fractures: risk 0.3. 2000 x 0.6 x 0.75 = 900; x 0.3 x 0.25 = 67.5; 20.25 hip, 47.25 other;
        # 202,500 + 94,500 = 297,000; net 197,000.
        (
            Cohort(identified=2000, share_started=0.6, share_persisting=0.75, sites={"hip": 5}),
            {
                "treated": 900,
                "fractures_avoided": 67.5,
                "hip_avoided": 20.25,
                "non_hip_avoided": 47.25,
                "costs_avoided": 297_000,
                "net_saving": 197_000,
            },
        ),
        # Nobody identified: nothing avoided, the FLS still costs.
        (
            Cohort(identified=0, share_started=0.5, share_persisting=0.5),
            {"treated": 0, "fractures_avoided": 0, "costs_avoided": 0, "fls_cost": 100_000, "net_saving": -100_000},
        ),
        # Nobody started: nothing avoided.
        (
            Cohort(identified=500, share_started=0.0, share_persisting=0.9),
            {"treated": 0, "fractures_avoided": 0, "net_saving": -100_000},
        ),
    ],
)
def test_each_term_matches_the_hand_computed_case(cohort, terms):
    result = estimate(cohort, P)
    for name, value in terms.items():
        assert getattr(result, name) == pytest.approx(value), name
    assert result.missing == ()


@pytest.mark.parametrize(
    ("started", "persisting", "missing"),
    [(None, 0.5, ("KPI8",)), (0.5, None, ("KPI10",)), (None, None, ("KPI8", "KPI10"))],
)
def test_a_missing_kpi_leaves_the_estimate_unknown_and_says_which(started, persisting, missing):
    result = estimate(Cohort(identified=100, share_started=started, share_persisting=persisting), P)
    assert result.missing == missing
    assert result.fractures_avoided is None
    assert result.costs_avoided is None
    assert result.net_saving is None
    assert result.fls_cost == 100_000  # known whatever the KPIs


def test_all_green_raises_shares_to_the_cut_and_never_lowers_them():
    green = all_green(Cohort(identified=100, share_started=0.4, share_persisting=0.95))
    assert green.share_started == 0.8
    assert green.share_persisting == 0.95


def test_all_green_uses_the_cut_for_a_missing_kpi():
    green = all_green(Cohort(identified=100, share_started=None, share_persisting=None))
    assert (green.share_started, green.share_persisting) == (0.8, 0.8)


@pytest.mark.parametrize(
    ("identified", "expected", "green_identified"),
    [(400, 1000, 800), (900, 1000, 900), (400, None, 400), (5, 7, 6)],  # ceil(0.8 x 7) = 6
)
def test_all_green_raises_identification_to_the_cut_of_the_expected_caseload(identified, expected, green_identified):
    cohort = Cohort(identified=identified, share_started=0.5, share_persisting=0.5, expected=expected)
    assert all_green(cohort).identified == green_identified


def test_the_green_column_is_the_same_model_on_the_raised_cohort():
    cohort = Cohort(identified=400, share_started=0.5, share_persisting=0.5, expected=1000)
    # 800 x 0.8 x 0.8 = 512 treated; x 0.2 x 0.25 = 25.6 avoided
    assert estimate(all_green(cohort), P).fractures_avoided == pytest.approx(25.6)
