"""A small public world: who is shown on the map and who is not, for the public-face tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from network.models import PublicListing
from tests.factories import ProgrammeFactory
from tests.mentorship.conftest import open_offer


def listing(programme, *, on_map=False, bands=False, text=""):
    PublicListing.objects.update_or_create(
        programme=programme, defaults={"show_on_map": on_map, "show_kpi_bands": bands}
    )
    if text:
        type(programme).objects.filter(pk=programme.pk).update(public_profile=text)
    return programme


@pytest.fixture
def world(db, programme, other_programme, lead, recognise, make_member):
    """Shown: Milano (gold, champion teaching Italian), Yaroslavl (silver, champion), Lyon (not
    recognised, opted in). Not shown: Taipei (not opted in), Porto (expired recognition), Leeds
    (revoked), Kazan (a candidate that opted in), Oslo (inactive, opted in)."""
    milano = ProgrammeFactory(
        slug="milano-niguarda",
        name="FLS Milano Niguarda",
        country="IT",
        city="Milano",
        languages=["en"],
        care_setting="inpatient",
        latitude="45.511200",
        longitude="9.185600",
    )
    recognise(milano, "gold")
    open_offer(milano, make_member(milano, "lead", email="milano.lead@hospital.example"), languages=["it", "en"])
    type(programme).objects.filter(pk=programme.pk).update(latitude="57.626100", longitude="39.884500")
    programme.refresh_from_db()
    recognise(programme, "silver")
    open_offer(programme, lead)
    listing(other_programme, on_map=True)
    taipei = ProgrammeFactory(slug="taipei-ntuh", name="FLS Taipei", country="TW", languages=["zh"])
    porto = ProgrammeFactory(slug="porto-sj", name="FLS Porto", country="PT")
    recognise(porto, "bronze", valid_until=timezone.localdate() - timedelta(days=1))
    leeds = ProgrammeFactory(slug="leeds-fls", name="FLS Leeds", country="GB")
    revoked = recognise(leeds, "silver")
    type(revoked).objects.all_programmes().filter(pk=revoked.pk).update(revoked_at=timezone.now())
    kazan = listing(
        ProgrammeFactory(slug="kazan-candidate", name="Kazan FLS", country="RU", status="candidate"), on_map=True
    )
    oslo = listing(ProgrammeFactory(slug="oslo-fls", name="FLS Oslo", country="NO", status="inactive"), on_map=True)
    return {
        "shown": {"milano-niguarda": milano, "yaroslavl-rech": programme, "lyon-sud": other_programme},
        "hidden": {
            "taipei-ntuh": taipei,
            "porto-sj": porto,
            "leeds-fls": leeds,
            "kazan-candidate": kazan,
            "oslo-fls": oslo,
        },
    }


def store_year(programme, year, episodes, *, percents=None, denominators=None, numerators=None):
    """A stored yearly KPI result (as the engine writes it) with chosen figures per KPI code."""
    from datetime import date

    from clinical.kpi_sets import get_kpi_set
    from kpis.engine import band_of
    from kpis.models import KpiResult, PeriodKind

    percents, denominators, numerators = percents or {}, denominators or {}, numerators or {}
    kpis = []
    for kpi in get_kpi_set(programme.kpi_set).kpis:
        percent = percents.get(kpi.code, 60.0)
        denominator = denominators.get(kpi.code, episodes)
        kpis.append(
            {
                "code": kpi.code,
                "name": str(kpi.name),
                "numerator": numerators.get(kpi.code, round((percent or 0) * (denominator or 0) / 100)),
                "denominator": denominator,
                "percent": percent,
                "band": band_of(kpi, percent),
                "pending": 0,
                "note": None,
            }
        )
    return KpiResult.objects.create(
        programme=programme,
        kpi_set=programme.kpi_set,
        period_kind=PeriodKind.YEAR,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        as_of=timezone.localdate(),
        computed_at=timezone.now(),
        episodes=episodes,
        kpis=kpis,
    )
