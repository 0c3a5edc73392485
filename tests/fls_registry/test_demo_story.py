"""The demo tells a true story: a programme the demo recognises gold or silver has the figures of
one (Milano, on the public map as gold, is green on its KPIs of last year, not red)."""

import pytest
from django.utils import timezone

from kpis.services import results_recompute
from network.selectors import last_full_year_bands
from patients import demo as patient_demo
from programmes import demo as programme_demo
from programmes.models import Programme

pytestmark = pytest.mark.django_db

# The level each recognised demo programme is given (recognition/demo.py), and what its last full
# year must show: at most this many red KPI bands, at least this many green.
EARNED = {"milano-niguarda": (0, 9), "sheffield-nhs": (0, 4), "yaroslavl-rech": (0, 4)}


def test_the_demos_recognised_programmes_have_the_figures_of_their_level(catalogue):
    programme_demo.load()
    patient_demo.load()
    programmes = {p.slug: p for p in Programme.objects.filter(slug__in=EARNED)}
    results_recompute(programme_ids=[p.pk for p in programmes.values()])
    today = timezone.localdate()
    for slug, (most_red, least_green) in EARNED.items():
        bands = [kpi["band"] for kpi in last_full_year_bands(programmes[slug], today)["kpis"]]
        assert bands.count("red") <= most_red and bands.count("green") >= least_green, (slug, bands)
