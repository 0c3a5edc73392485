"""The FLS benefits calculator's model: pure arithmetic, no database, no Django.

For one 12-month cohort of identified patients (spec/public.md, "FLS benefits calculator"):

    treated            = identified x share started (KPI8) x share persisting at 52 weeks (KPI10)
    fractures avoided  = treated x subsequent fracture risk x relative risk reduction
    hip avoided        = fractures avoided x share of subsequent fractures that are hip fractures
    non-hip avoided    = fractures avoided - hip avoided
    costs avoided      = hip avoided x hip cost + non-hip avoided x non-hip cost
    FLS cost           = annual cost of the FLS x horizon in years
    net saving         = costs avoided - FLS cost

The subsequent fracture risk is the mean of the per-site risks weighted by the cohort's first
fracture sites (a site without its own risk uses the overall one; no known site: the overall one).

"All green" is the same model with each share raised to its KPI's green cut (never lowered), and
the identified patients raised to the green cut of the expected caseload when it is known. A share
the registry has no figure for makes the "as is" estimate unknown (we do not guess it), while the
"all green" column uses the cut itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

# The IOF bands: green above 80 % for KPI1, KPI2, KPI8 and KPI10 (kpis.md).
GREEN_CUT = 0.8


@dataclass(frozen=True)
class Parameters:
    currency: str
    risk_overall: float
    relative_risk_reduction: float
    hip_share: float
    hip_cost: float
    non_hip_cost: float
    fls_annual_cost: float
    horizon_years: int
    risk_by_site: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Cohort:
    """What the registry says of one 12-month period."""

    identified: int  # KPI1 + KPI2 numerators
    share_started: float | None  # KPI8 as a share (0-1), None when the KPI has no figure
    share_persisting: float | None  # KPI10 as a share
    sites: Mapping[str, int] = field(default_factory=dict)  # identified episodes by fracture site
    expected: int | None = None  # KPI1 + KPI2 denominators (the expected caseload), when known


@dataclass(frozen=True)
class Estimate:
    risk: float
    treated: float | None
    fractures_avoided: float | None
    hip_avoided: float | None
    non_hip_avoided: float | None
    hip_costs_avoided: float | None
    non_hip_costs_avoided: float | None
    costs_avoided: float | None
    fls_cost: float
    net_saving: float | None
    missing: tuple[str, ...] = ()  # the KPIs without a figure that left the estimate unknown


def subsequent_risk(parameters: Parameters, sites: Mapping[str, int]) -> float:
    known = sum(sites.values())
    if known <= 0:
        return parameters.risk_overall
    weighted = sum(count * parameters.risk_by_site.get(site, parameters.risk_overall) for site, count in sites.items())
    return weighted / known


def estimate(cohort: Cohort, parameters: Parameters) -> Estimate:
    risk = subsequent_risk(parameters, cohort.sites)
    fls_cost = parameters.fls_annual_cost * parameters.horizon_years
    missing = tuple(
        code for code, share in (("KPI8", cohort.share_started), ("KPI10", cohort.share_persisting)) if share is None
    )
    if missing:
        return Estimate(risk, None, None, None, None, None, None, None, fls_cost, None, missing)
    treated = cohort.identified * cohort.share_started * cohort.share_persisting
    avoided = treated * risk * parameters.relative_risk_reduction
    hip = avoided * parameters.hip_share
    non_hip = avoided - hip
    hip_costs = hip * parameters.hip_cost
    non_hip_costs = non_hip * parameters.non_hip_cost
    costs = hip_costs + non_hip_costs
    return Estimate(risk, treated, avoided, hip, non_hip, hip_costs, non_hip_costs, costs, fls_cost, costs - fls_cost)


def all_green(cohort: Cohort, cut: float = GREEN_CUT) -> Cohort:
    """The cohort if every KPI the model uses reached its green cut (shares never lowered)."""
    identified = cohort.identified
    if cohort.expected:
        identified = max(identified, math.ceil(cut * cohort.expected))
    return replace(
        cohort,
        identified=identified,
        share_started=max(cohort.share_started or 0.0, cut),
        share_persisting=max(cohort.share_persisting or 0.0, cut),
    )
