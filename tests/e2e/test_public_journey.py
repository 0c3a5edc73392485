"""Browser journeys of the public face: a visitor with no account (figures, the map filtered and
shared, a profile, a certificate, a champion's training day, the library), the map when tiles cannot
load, and a lead (public profile choices, the benefits calculator and its PDF)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from network import services
from tests.e2e.test_recognition_journey import log_in
from tests.network.conftest import store_year

pytestmark = pytest.mark.browser
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # nothing listens on port 9


@pytest.fixture
def library(iof_staff):
    services.resource_create(
        actor=iof_staff,
        values=services.ResourceInput(
            title="Памятка пациенту после перелома",
            summary="Как не сломать кость снова: лечение и упражнения.",
            kind="patient_leaflet",
            languages=["ru"],
            countries=["RU"],
            last_reviewed=timezone.localdate(),
            publisher="FLS Yaroslavl",
            url="https://example.org/pamyatka",
        ),
    )
    services.resource_create(
        actor=iof_staff,
        values=services.ResourceInput(
            title="Patient leaflet after a fracture",
            summary="What to do after a fracture.",
            kind="patient_leaflet",
            languages=["en"],
            last_reviewed=timezone.localdate(),
            url="https://example.org/leaflet",
        ),
    )


def wait_for_map(page, markers: int):
    page.wait_for_selector(f'#map[data-markers="{markers}"]')
    page.wait_for_function("document.querySelectorAll('.leaflet-outlines-pane path').length > 100")


def test_a_visitor_finds_a_gold_italian_champion_and_its_training_day(
    live_server,
    page,
    world,
    day,
    library,
    settings,
    artifacts_dir,
):
    settings.MAP_TILE_URL = ""  # the test machine has no internet: outlines only
    page.goto(live_server.url + "/")
    expect(page.get_by_text("3 FLS on the map in 3 countries")).to_be_visible()
    page.get_by_role("link", name="Open the map").click()
    wait_for_map(page, 2)  # Milano and Yaroslavl have coordinates; Lyon is listed only
    page.get_by_label("Recognition").select_option("gold")
    page.get_by_label("Country").select_option("IT")
    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*level=gold.*country=IT.*language=it.*"))
    wait_for_map(page, 1)
    listing = page.get_by_role("region", name="1 programme")
    expect(listing.get_by_role("link", name="FLS Milano Niguarda")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "public-map-filtered.png"), full_page=True)

    shared = page.context.new_page()  # the URL is the view: another visitor opens it
    shared.goto(page.url)
    wait_for_map(shared, 1)
    assert shared.get_by_label("Recognition").input_value() == "gold"
    shared.close()

    page.get_by_role("link", name="FLS Milano Niguarda").focus()  # by keyboard, from the list
    page.keyboard.press("Enter")
    page.wait_for_url("**/programmes/milano-niguarda/")
    expect(page.get_by_text("Gold").first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "public-profile.png"), full_page=True)
    page.get_by_role("link", name="verify the certificate").click()
    expect(page.get_by_text("Genuine and current.")).to_be_visible()
    page.go_back()

    page.goto(live_server.url + "/programmes/yaroslavl-rech/")
    expect(page.get_by_text(day.date.isoformat()).first).to_be_visible()
    page.get_by_role("link", name="Mentorship profile and all training days").click()
    expect(page.get_by_role("heading", name="Next training days")).to_be_visible()

    page.goto(live_server.url + "/resources/")
    page.get_by_label("Words").fill("памятки")
    page.get_by_label("Kind").select_option("patient_leaflet")
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 resource")).to_be_visible()
    page.get_by_role("link", name="Памятка пациенту после перелома").click()
    assert page.get_by_role("link", name="Open the resource").get_attribute("href") == "https://example.org/pamyatka"
    page.screenshot(path=str(artifacts_dir / "public-resource.png"), full_page=True)


def test_the_map_shows_country_outlines_when_tiles_cannot_load(live_server, page, world, settings, artifacts_dir):
    settings.MAP_TILE_URL = UNREACHABLE_TILES
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/map/")
    wait_for_map(page, 2)
    expect(page.get_by_text("Map tiles are unavailable: country outlines are shown instead.")).to_be_visible()
    assert page.locator(".leaflet-marker-icon").count() >= 1
    page.screenshot(path=str(artifacts_dir / "public-map-no-tiles.png"), full_page=True)
    assert errors == []


def test_a_lead_opts_in_and_prints_the_benefits_calculator(
    live_server,
    page,
    world,
    lead,
    programme,
    iof_staff,
    artifacts_dir,
    tmp_path,
):
    services.calculator_parameters_save(
        actor=iof_staff,
        country="RU",
        values={
            "currency": "RUB",
            "risk_overall": "0.18",
            "relative_risk_reduction": "0.22",
            "hip_share": "0.25",
            "hip_cost": "350000",
            "non_hip_cost": "90000",
            "fls_annual_cost": "3000000",
            "horizon_years": "2",
        },
        sources={"risk_overall": "Balasubramanian A et al. 2019."},
        version=None,
    )
    store_year(
        programme,
        timezone.localdate().year - 1,
        600,
        percents={"KPI8": 55.0, "KPI10": 70.0},
        numerators={"KPI1": 420, "KPI2": 90},
        denominators={"KPI1": 800, "KPI2": 190},
    )
    log_in(page, live_server, lead)
    page.goto(f"{live_server.url}/p/{programme.slug}/public-profile/")
    page.get_by_label("Show our KPI bands of the last full year on our public profile").check()
    page.get_by_label("Public text").fill("We see **every** fracture patient.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your public profile choices are saved.")).to_be_visible()

    page.get_by_role("link", name="Benefits").click()
    expect(page.get_by_role("rowheader", name="Subsequent fractures avoided")).to_be_visible()
    page.get_by_text("Change the parameters").click()
    page.get_by_label("Cost of treating a hip fracture").fill("400000")
    page.get_by_role("button", name="Recalculate").click()
    expect(page.get_by_text("changed on this page")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "public-benefits.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Print as PDF").click()
    target = tmp_path / "benefits.pdf"
    download.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF-")


def test_the_join_form_takes_the_place_from_a_click_on_the_map(live_server, page, settings):
    """No latitude and longitude to look up: a click on the small map fills them in."""
    settings.MAP_TILE_URL = ""  # outlines only: the test machine has no internet
    page.goto(live_server.url + "/mentorship/join/")
    place = page.locator("#place-map")
    expect(place).to_be_visible()
    expect(page.locator("#place-map .leaflet-outlines-pane path").first).to_be_attached()  # the outlines drawn
    assert page.get_by_label("Latitude").input_value() == ""
    place.click(position={"x": 200, "y": 120})
    latitude, longitude = (
        float(page.get_by_label("Latitude").input_value()),
        float(page.get_by_label("Longitude").input_value()),
    )
    assert -90 <= latitude <= 90 and -180 <= longitude <= 180
    expect(page.locator("#place-map .leaflet-marker-icon")).to_be_visible()
