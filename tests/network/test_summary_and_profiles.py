"""The network's figures against hand counts, and the public profiles with and without opt-ins."""

import pytest
from django.urls import reverse
from django.utils import timezone

from network import selectors
from tests.network.conftest import listing, store_year

THIS_YEAR = timezone.localdate().year


def test_summary_matches_the_hand_count(world):
    # Shown: Milano gold champion, Yaroslavl silver champion, Lyon opted in: 3 programmes, IT, RU, FR.
    store_year(world["shown"]["milano-niguarda"], THIS_YEAR, 420)
    store_year(world["shown"]["lyon-sud"], THIS_YEAR, 230)
    store_year(world["hidden"]["taipei-ntuh"], THIS_YEAR, 100)  # active, not on the map: still recorded
    store_year(world["hidden"]["kazan-candidate"], THIS_YEAR, 999)  # a candidate: not counted
    store_year(world["shown"]["lyon-sud"], THIS_YEAR - 1, 5000)  # last year: not counted
    assert selectors.network_summary() == {
        "programmes": 3,
        "countries": 3,
        "recognised": 2,
        "gold": 1,
        "silver": 1,
        "bronze": 0,
        "champions": 2,
        "year": THIS_YEAR,
        "episodes_this_year": 800,  # 750 to the nearest hundred
        "episodes_this_year_note": None,
    }


def test_summary_is_one_query(world, django_assert_num_queries):
    store_year(world["shown"]["milano-niguarda"], THIS_YEAR, 420)
    with django_assert_num_queries(1):
        selectors.network_summary()


@pytest.mark.parametrize(
    ("episodes", "shown", "note"),
    [
        (0, None, "fewer than 5"),
        (4, None, "fewer than 5"),
        (5, None, "fewer than 50"),
        (49, None, "fewer than 50"),
        (50, 100, None),
        (149, 100, None),
        (150, 200, None),
    ],
)
def test_episodes_are_rounded_to_the_hundred_and_said_in_words_below_50(world, episodes, shown, note):
    if episodes:
        store_year(world["shown"]["milano-niguarda"], THIS_YEAR, episodes)
    figures = selectors.network_summary()
    assert (figures["episodes_this_year"], figures["episodes_this_year_note"]) == (shown, note)


def test_the_summary_endpoint_and_the_home_page_show_the_figures(client, world):
    store_year(world["shown"]["milano-niguarda"], THIS_YEAR, 20)
    data = client.get("/api/v1/public/summary").json()
    assert (data["programmes"], data["gold"], data["episodes_this_year"]) == (3, 1, None)
    assert data["episodes_this_year_note"] == "fewer than 50"
    page = client.get("/").content.decode()
    assert "3 FLS on the map in 3 countries" in page
    assert "Fewer than 50 fracture episodes" in page


def test_a_profile_shows_programme_facts_recognition_and_champion_days(client, world, day):
    page = client.get(reverse("network:profile", kwargs={"slug": "yaroslavl-rech"})).content.decode()
    assert "FLS Yaroslavl" in page
    assert "Silver" in page
    assert "/verify/" in page
    assert "Champion site" in page
    assert day.date.strftime("%Y-%m-%d") in page
    assert "KPI bands" not in page  # not opted in


def test_a_profile_shows_kpi_bands_only_when_the_lead_opted_in(client, world):
    programme = world["shown"]["lyon-sud"]
    store_year(programme, THIS_YEAR - 1, 120, percents={"KPI3": 91.0, "KPI4": 30.0})
    url = reverse("network:profile", kwargs={"slug": "lyon-sud"})
    assert "KPI bands" not in client.get(url).content.decode()
    listing(programme, on_map=True, bands=True)
    page = client.get(url).content.decode()
    assert f"KPI bands, {THIS_YEAR - 1}" in page
    assert "band-green" in page and "band-red" in page
    assert "120" not in page  # bands only, never counts


def test_a_band_from_fewer_than_5_is_not_shown(client, world):
    programme = listing(world["shown"]["lyon-sud"], on_map=True, bands=True)
    store_year(programme, THIS_YEAR - 1, 60, denominators={"KPI10": 3})
    bands = selectors.last_full_year_bands(programme)
    assert {k["code"]: k["band"] for k in bands["kpis"]}["KPI10"] is None
    assert (
        "not shown (fewer than 5)"
        in client.get(reverse("network:profile", kwargs={"slug": "lyon-sud"})).content.decode()
    )


def test_no_band_at_all_below_5_episodes(client, world):
    programme = listing(world["shown"]["lyon-sud"], on_map=True, bands=True)
    store_year(programme, THIS_YEAR - 1, 4)
    page = client.get(reverse("network:profile", kwargs={"slug": "lyon-sud"})).content.decode()
    assert "Fewer than 5 episodes in this year" in page
    assert "band-" not in page


@pytest.mark.parametrize("slug", ["taipei-ntuh", "porto-sj", "leeds-fls", "kazan-candidate", "oslo-fls", "nowhere"])
def test_programmes_not_shown_have_no_profile(client, world, slug):
    assert client.get(reverse("network:profile", kwargs={"slug": slug})).status_code == 404


def test_public_text_is_rendered_as_safe_markdown(client, world):
    listing(
        world["shown"]["lyon-sud"], on_map=True, text="We **screen** every fracture. [Our site](https://chu.example)"
    )
    page = client.get(reverse("network:profile", kwargs={"slug": "lyon-sud"})).content.decode()
    assert "<strong>screen</strong>" in page
    assert '<a href="https://chu.example" rel="nofollow noopener noreferrer">Our site</a>' in page


def test_a_profile_names_languages_in_their_own_words(client, world):
    page = client.get(reverse("network:profile", kwargs={"slug": "milano-niguarda"})).content.decode()
    assert "teaches in italiano, English" in page
