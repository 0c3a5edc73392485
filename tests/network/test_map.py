"""Who is on the map, the filters, the GeoJSON (validity, ETag, cache, rate limit) and the map page."""

import json

import pytest
from django.urls import reverse

from network import selectors
from network.selectors import MapFilters
from tests.network.conftest import listing
from tests.pages import cdn_urls, off_site_assets

GEOJSON = "/api/v1/public/programmes.geojson"


def slugs(**filters):
    return [row["slug"] for row in selectors.map_programmes(MapFilters(**filters))]


def geojson(client, query=""):
    response = client.get(GEOJSON + query)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_recognised_and_opted_in_active_programmes_are_shown_and_no_one_else(world):
    assert sorted(slugs()) == sorted(world["shown"])


def test_a_programme_appears_once_the_lead_opts_in(world):
    taipei = world["hidden"]["taipei-ntuh"]
    listing(taipei, on_map=True)
    assert "taipei-ntuh" in slugs()


def test_a_candidate_is_never_shown_even_when_it_opted_in(world):
    assert "kazan-candidate" not in slugs()
    assert selectors.public_programme("kazan-candidate") is None


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"level": "gold"}, ["milano-niguarda"]),
        ({"level": "silver"}, ["yaroslavl-rech"]),
        ({"level": "bronze"}, []),
        ({"country": "IT"}, ["milano-niguarda"]),
        ({"country": "FR"}, ["lyon-sud"]),
        ({"language": "it"}, ["milano-niguarda"]),  # Milano teaches in Italian (its own languages: en)
        ({"language": "ru"}, ["yaroslavl-rech"]),  # Yaroslavl teaches in Russian
        ({"language": "zh"}, []),
        ({"care_setting": "inpatient"}, ["milano-niguarda"]),
        ({"champion": True}, ["milano-niguarda", "yaroslavl-rech"]),
        ({"level": "gold", "country": "IT", "language": "it"}, ["milano-niguarda"]),
        ({"level": "gold", "country": "FR"}, []),
    ],
)
def test_filters(world, filters, expected):
    assert sorted(slugs(**filters)) == expected


def test_geojson_is_a_valid_feature_collection_with_the_spec_properties(client, world):
    document = geojson(client)
    assert document["type"] == "FeatureCollection"
    by_slug = {feature["id"]: feature for feature in document["features"]}
    assert sorted(by_slug) == sorted(world["shown"])
    milano = by_slug["milano-niguarda"]
    assert milano["type"] == "Feature"
    assert milano["geometry"] == {"type": "Point", "coordinates": [9.1856, 45.5112]}  # longitude first
    properties = milano["properties"]
    assert {
        "slug",
        "name",
        "institution",
        "city",
        "country",
        "languages",
        "care_setting",
        "level",
        "valid_until",
        "champion",
        "profile_url",
    } <= set(properties)
    assert properties["level"] == "gold"
    assert properties["champion"] is True
    assert properties["teaching_languages"] == ["it", "en"]
    assert properties["profile_url"] == "/programmes/milano-niguarda/"
    assert properties["training_days_url"] == "/mentorship/champions/milano-niguarda/"
    lyon = by_slug["lyon-sud"]["properties"]
    assert (lyon["level"], lyon["valid_until"], lyon["champion"]) == (None, None, False)
    assert by_slug["lyon-sud"]["geometry"] is None  # no coordinates recorded: unlocated (RFC 7946 3.2)


def test_geojson_filters_follow_the_query_string(client, world):
    document = geojson(client, "?level=gold&country=IT&language=it")
    assert [feature["id"] for feature in document["features"]] == ["milano-niguarda"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?level=platinum", "level"),
        ("?country=XX", "country"),
        ("?language=%3Cscript%3E", "language"),
        ("?care_setting=home", "care_setting"),
        ("?champion=maybe", "champion"),
    ],
)
def test_a_wrong_filter_is_refused_with_the_field_named(client, world, query, field):
    response = client.get(GEOJSON + query)
    assert response.status_code == 400
    assert field in response.json()


def test_geojson_carries_an_etag_and_answers_304_when_it_matches(client, world):
    first = client.get(GEOJSON)
    etag = first["ETag"]
    assert etag.startswith('"')
    assert "max-age" in first["Cache-Control"]
    again = client.get(GEOJSON, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert client.get(GEOJSON, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_geojson_is_served_from_the_cache_without_a_query(client, world, django_assert_num_queries):
    client.get(GEOJSON)
    with django_assert_num_queries(0):
        assert client.get(GEOJSON).status_code == 200


def test_a_lead_opting_in_shows_at_once_despite_the_cache(client, world, django_capture_on_commit_callbacks):
    from network import services

    taipei = world["hidden"]["taipei-ntuh"]
    assert "taipei-ntuh" not in {f["id"] for f in geojson(client)["features"]}
    from tests.factories import MembershipFactory

    lead = MembershipFactory(programme=taipei, role="lead").user
    with django_capture_on_commit_callbacks(execute=True):
        services.public_listing_save(
            programme=taipei, actor=lead, show_on_map=True, show_kpi_bands=False, public_text="", version=None
        )
    assert "taipei-ntuh" in {f["id"] for f in geojson(client)["features"]}


def test_geojson_is_compressed_for_clients_that_accept_it(client, world):
    response = client.get(GEOJSON, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


def test_the_public_api_is_rate_limited_per_client(client, world, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "public": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        codes = [client.get("/api/v1/public/summary").status_code for _ in range(5)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [200, 200, 200, 429, 429]


def test_the_map_page_lists_the_same_programmes_and_keeps_the_filters_in_the_url(client, world):
    response = client.get(reverse("network:map") + "?level=gold&country=IT&language=it")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-geojson="/api/v1/public/programmes.geojson?level=gold&amp;country=IT&amp;language=it"' in page
    assert "FLS Milano Niguarda" in page
    assert "FLS Lyon Sud" not in page
    assert '<option value="gold" selected>' in page
    assert 'value="it"' in page  # the language filter keeps its value


def test_the_map_page_names_a_wrong_filter(client, world):
    response = client.get(reverse("network:map") + "?level=platinum")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode() or "gold, silver or bronze" in response.content.decode()


def test_the_map_page_loads_leaflet_from_our_static_files_only(client, world, settings):
    page = client.get(reverse("network:map")).content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/vendor/leaflet-markercluster/leaflet.markercluster.js" in page
    assert off_site_assets(page) == [] and cdn_urls(page) == []
    assert f'data-tile-url="{settings.MAP_TILE_URL}"' in page


def test_an_empty_tile_setting_means_no_tiles(client, world, settings):
    settings.MAP_TILE_URL = ""
    page = client.get(reverse("network:map")).content.decode()
    assert 'data-tile-url=""' in page


def test_the_public_endpoints_are_in_the_schema_and_anonymous(client):
    schema = client.get("/api/schema/?format=json").json()
    geojson = schema["paths"]["/api/v1/public/programmes.geojson"]["get"]
    summary = schema["paths"]["/api/v1/public/summary"]["get"]
    assert "application/geo+json" in geojson["responses"]["200"]["content"]
    assert {p["name"] for p in geojson["parameters"]} == {"level", "country", "language", "care_setting", "champion"}
    assert "security" not in schema  # no global requirement: an operation without one is anonymous
    assert geojson.get("security", []) in ([], [{}])
    assert summary.get("security", []) in ([], [{}])
    properties = schema["components"]["schemas"]["NetworkSummary"]["properties"]
    assert "episodes_this_year" in properties


@pytest.mark.parametrize("accept", ["application/geo+json", "application/json", "*/*"])
def test_geojson_answers_the_accept_headers_clients_send(client, world, accept):
    response = client.get(GEOJSON, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
