"""The lead's public listing, the benefits calculator (page and PDF), IOF staff's calculator
parameters: who may do what, what is saved and what is refused."""

import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from network import services
from network.models import CalculatorOverride, CalculatorParameters, PublicListing
from programmes.models import AccessEvent
from programmes.rls import programme_scope
from tests.conftest import sign_in
from tests.network.conftest import store_year

LAST_YEAR = timezone.localdate().year - 1


def listing_url(programme):
    return reverse("network:listing", kwargs={"programme_slug": programme.slug})


def benefits_url(programme):
    return reverse("network:benefits", kwargs={"programme_slug": programme.slug})


# A country's calculator parameters, every one given (tests/security/test_races.py uses them too).
GB_PARAMETERS = {
    "currency": "GBP",
    "risk_overall": "0.2",
    "relative_risk_reduction": "0.25",
    "hip_share": "0.3",
    "hip_cost": "10000",
    "non_hip_cost": "2000",
    "fls_annual_cost": "50000",
    "horizon_years": "2",
}


@pytest.fixture
def gb_parameters(iof_staff):
    return services.calculator_parameters_save(
        actor=iof_staff,
        country="GB",
        values=GB_PARAMETERS,
        sources={"risk_overall": "Author A, 2019. A cited title.", "hip_cost": "Author B, 2016. Costs."},
        version=None,
    )


@pytest.fixture
def sheffield(programme):
    type(programme).objects.filter(pk=programme.pk).update(country="GB")
    programme.refresh_from_db()
    # identified = 300 + 100 = 400; KPI8 50 %, KPI10 80 %; expected 500 + 125 = 625
    store_year(
        programme,
        LAST_YEAR,
        400,
        percents={"KPI1": 60.0, "KPI2": 80.0, "KPI8": 50.0, "KPI10": 80.0},
        numerators={"KPI1": 300, "KPI2": 100},
        denominators={"KPI1": 500, "KPI2": 125},
    )
    return programme


def test_the_lead_saves_the_opt_ins_and_the_public_text_with_an_access_log_row(client, programme, lead):
    sign_in(client, lead)
    response = client.post(
        listing_url(programme), {"show_on_map": "on", "show_kpi_bands": "on", "public_text": "Hello **all**"}
    )
    assert response.status_code == 302
    saved = PublicListing.objects.get(programme=programme)
    assert (saved.show_on_map, saved.show_kpi_bands) == (True, True)
    programme.refresh_from_db()
    assert programme.public_profile == "Hello **all**"
    with programme_scope(programme.pk):
        logged = list(AccessEvent.objects.for_programme(programme).filter(action=AccessEvent.Action.PROFILE_CHANGED))
    assert any(event.detail.get("fields") == ["show_kpi_bands", "show_on_map"] for event in logged)


def test_a_stale_listing_form_is_refused_and_nothing_changes(client, programme, lead):
    sign_in(client, lead)
    client.post(listing_url(programme), {"show_on_map": "on", "public_text": "First"})
    version = PublicListing.objects.get(programme=programme).version
    client.post(listing_url(programme), {"public_text": "Second", "version": version})
    response = client.post(listing_url(programme), {"show_on_map": "on", "public_text": "Third", "version": version})
    assert response.status_code == 400
    assert "Someone else changed" in response.content.decode()
    programme.refresh_from_db()
    assert programme.public_profile == "Second"


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_only_the_lead_reaches_the_listing(client, programme, make_member, role):
    sign_in(client, make_member(programme, role))
    assert client.get(listing_url(programme)).status_code == 403
    assert client.post(listing_url(programme), {"show_on_map": "on"}).status_code == 403
    assert not PublicListing.objects.exists()


def test_another_programmes_lead_gets_404(client, programme, other_programme, make_member):
    sign_in(client, make_member(other_programme, "lead"))
    assert client.get(listing_url(programme)).status_code == 404
    assert client.get(benefits_url(programme)).status_code == 404


def test_the_calculator_shows_the_estimate_from_the_programmes_kpis(client, sheffield, viewer, gb_parameters):
    sign_in(client, viewer)
    page = client.get(benefits_url(sheffield)).content.decode()
    # 400 x 0.5 x 0.8 = 160 treated; x 0.2 x 0.25 = 8 avoided; 2.4 hip, 5.6 other;
    # 24,000 + 11,200 = 35,200; FLS 100,000; net -64,800.
    for text in ("160.0", "8.0", "2.4", "5.6", "35,200", "100,000", "-64,800"):
        assert text in page, text
    # all green: identified max(400, 0.8 x 625 = 500) = 500; x 0.8 x 0.8 = 320 treated; 16 avoided; 70,400
    for text in ("500", "320.0", "16.0", "70,400", "-29,600"):
        assert text in page, text
    assert "Author A, 2019. A cited title." in page
    assert "illustrative: set your own" in page  # hip share has no source
    assert "Save these values" not in page  # a viewer tries values; only the lead saves


def test_a_value_changed_on_the_page_is_used_and_loses_its_source(client, sheffield, lead, gb_parameters):
    sign_in(client, lead)
    page = client.get(benefits_url(sheffield), {"apply": "1", "hip_cost": "20000"}).content.decode()
    assert "59,200" in page  # 2.4 x 20,000 + 5.6 x 2,000 = 48,000 + 11,200
    assert "changed on this page" in page
    assert "Save these values as our programme&#x27;s own" in page or "Save these values as our programme's own" in page


def test_a_wrong_value_says_which_and_saves_nothing(client, sheffield, lead, gb_parameters):
    sign_in(client, lead)
    page = client.get(benefits_url(sheffield), {"apply": "1", "hip_share": "1.5"}).content.decode()
    assert "Give a share between 0 and 1" in page
    response = client.post(benefits_url(sheffield), {"hip_share": "-1"})
    assert response.status_code == 400
    assert not CalculatorOverride.objects.exists()


def test_the_lead_saves_the_programmes_own_values(client, sheffield, lead, gb_parameters):
    sign_in(client, lead)
    assert client.post(benefits_url(sheffield), {"fls_annual_cost": "30000"}).status_code == 302
    assert CalculatorOverride.objects.get(programme=sheffield).values == {"fls_annual_cost": "30000"}
    page = client.get(benefits_url(sheffield)).content.decode()
    assert "your programme&#x27;s value" in page or "your programme's value" in page
    assert "60,000" in page  # 2 x 30,000


def test_a_coordinator_cannot_save_the_programmes_values(client, sheffield, coordinator, gb_parameters):
    sign_in(client, coordinator)
    assert client.post(benefits_url(sheffield), {"fls_annual_cost": "1"}).status_code == 403
    assert not CalculatorOverride.objects.exists()


def test_without_parameters_the_page_asks_for_them(client, sheffield, lead):
    sign_in(client, lead)
    page = client.get(benefits_url(sheffield)).content.decode()
    assert "No value yet for" in page


def test_the_pdf_prints_inputs_parameters_sources_and_result(client, sheffield, lead, gb_parameters, tmp_path):
    sign_in(client, lead)
    response = client.get(reverse("network:benefits_pdf", kwargs={"programme_slug": sheffield.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "benefits.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.MULTILINE)
    for expected in ("What your FLS saves", "-64,800", "Author A, 2019", "illustrative: set your own", "estimate"):
        assert expected in text, expected
    with programme_scope(sheffield.pk):
        assert AccessEvent.objects.for_programme(sheffield).filter(action=AccessEvent.Action.EXPORTED).exists()


def test_staff_set_a_countrys_parameters_with_sources(client, iof_staff):
    sign_in(client, iof_staff)
    response = client.post(
        reverse("network:staff_calculator"),
        {
            "country": "IT",
            "currency": "EUR",
            "risk_overall": "0.18",
            "relative_risk_reduction": "0.22",
            "hip_share": "0.25",
            "hip_cost": "15000",
            "non_hip_cost": "4000",
            "fls_annual_cost": "90000",
            "horizon_years": "2",
            "risk_hip": "0.3",
            "source_risk_overall": "Author, 2019. Title.",
        },
    )
    assert response.status_code == 302
    saved = CalculatorParameters.objects.get(country="IT")
    assert saved.risk_by_site == {"hip": "0.3"}
    assert saved.sources == {"risk_overall": "Author, 2019. Title."}


def test_staff_parameters_need_every_value(client, iof_staff):
    sign_in(client, iof_staff)
    response = client.post(reverse("network:staff_calculator"), {"country": "IT", "currency": "EUR"})
    assert response.status_code == 400
    assert "This parameter is needed" in response.content.decode()
    assert not CalculatorParameters.objects.exists()


@pytest.mark.parametrize(
    "url_name", ["network:staff_calculator", "network:staff_resources", "network:staff_resource_create"]
)
def test_staff_desks_refuse_others(client, lead, url_name):
    assert client.get(reverse(url_name)).status_code == 302  # anonymous: the login page
    sign_in(client, lead)
    assert client.get(reverse(url_name)).status_code == 403
