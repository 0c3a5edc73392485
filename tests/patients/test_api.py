import re

import yaml
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.services import api_token_create
from patients.models import AuditEntry, Episode
from programmes.rls import programme_scope
from tests.pages import cdn_urls, off_site_assets
from tests.patients.conftest import valid_values


def api(user):
    token_client = Client()
    _token, key = api_token_create(user=user, name="test")
    token_client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return token_client


def url(programme, suffix=""):
    return f"/api/v1/programmes/{programme.slug}/episodes/{suffix}"


def test_create_read_update_delete_through_the_api(programme, coordinator, lead):
    client = api(coordinator)
    created = client.post(url(programme), valid_values(), content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert (body["patient_ref"], body["fracture_site"], body["version"]) == ("H0001", "wrist", 1)
    episode_url = url(programme, f"{body['id']}/")
    assert client.get(episode_url).json()["dxa"] == "yes"
    listed = client.get(url(programme), {"site": "wrist"}).json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == body["id"]
    changed = client.patch(episode_url, {"falls_assessment": "yes", "version": 1}, content_type="application/json")
    assert changed.status_code == 200
    assert (changed.json()["falls_assessment"], changed.json()["version"]) == ("yes", 2)
    assert client.delete(episode_url + "?reason=entered+twice").status_code == 403
    lead_client = api(lead)
    assert lead_client.delete(episode_url).status_code == 400
    assert lead_client.delete(episode_url + "?reason=entered+twice").status_code == 204
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()
        assert (
            AuditEntry.objects.for_programme(programme).get(action="delete", entity="episode").reason == "entered twice"
        )


def test_invalid_episode_answers_400_with_field_and_message(programme, coordinator):
    response = api(coordinator).post(
        url(programme), valid_values(fracture_site="knee"), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "fracture_site",
            "message": (
                "'knee' is not allowed here; use one of: hip, spine, wrist, humerus, pelvis, femur, tibia_fibula, ankle, rib, other"
            ),
        }
    ]


def test_stale_update_answers_409_and_keeps_the_first_write(programme, coordinator, episode):
    client = api(coordinator)
    first = client.patch(
        url(programme, f"{episode.pk}/"), {"falls_assessment": "yes", "version": 1}, content_type="application/json"
    )
    assert first.status_code == 200
    second = client.patch(
        url(programme, f"{episode.pk}/"), {"falls_assessment": "no", "version": 1}, content_type="application/json"
    )
    assert second.status_code == 409
    assert "changed by" in second.json()["detail"]
    with programme_scope(programme.pk):
        episode.refresh_from_db()
    assert episode.falls_assessment == "yes"


def test_update_without_version_is_refused(programme, coordinator, episode):
    response = api(coordinator).put(url(programme, f"{episode.pk}/"), valid_values(), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "version"


def test_bulk_is_all_or_nothing_with_the_index_of_each_error(programme, coordinator):
    items = [valid_values(patient_ref=f"B{n}") for n in range(5)]
    items[3]["sex"] = "?"
    response = api(coordinator).post(url(programme, "bulk/"), items, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 3, "field": "sex", "message": "'?' is not allowed here; use one of: female, male, other, unknown"}
    ]
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()
    items[3]["sex"] = "male"
    response = api(coordinator).post(url(programme, "bulk/"), items, content_type="application/json")
    assert response.json() == {"created": 5, "updated": 0, "unchanged": 0}
    again = api(coordinator).post(url(programme, "bulk/"), items, content_type="application/json")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 5}


def test_a_viewer_reads_but_cannot_write(programme, viewer, episode):
    client = api(viewer)
    assert client.get(url(programme)).status_code == 200
    assert (
        client.post(url(programme), valid_values(patient_ref="V1"), content_type="application/json").status_code == 403
    )
    assert client.post(url(programme, "bulk/"), [], content_type="application/json").status_code == 403


def test_another_programmes_episode_is_not_found_by_id(programme, other_programme, coordinator, make_episode):
    theirs = make_episode(other_programme)
    client = api(coordinator)
    assert client.get(url(programme, f"{theirs.pk}/")).status_code == 404
    response = client.patch(
        url(programme, f"{theirs.pk}/"), {"dxa": "no", "version": 1}, content_type="application/json"
    )
    assert response.status_code == 404
    assert client.get(url(programme)).json()["count"] == 0
    with programme_scope(other_programme.pk):
        theirs.refresh_from_db()
    assert (theirs.dxa, theirs.version) == ("yes", 1)


def test_revoked_or_wrong_tokens_are_refused(programme, coordinator):
    from accounts.services import api_token_revoke

    token, key = api_token_create(user=coordinator, name="feed")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(url(programme)).status_code == 200
    api_token_revoke(token=token, actor=coordinator)
    assert client.get(url(programme)).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer fls_nothing_here").get(url(programme)).status_code == 401
    assert token.key_hash != key and key.split("_")[-1] not in token.key_hash


def test_tokens_are_created_on_the_profile_page_and_shown_once(coordinator, login):
    client = login(coordinator)
    import re

    page = client.post("/accounts/profile/tokens/", {"name": "EHR feed"}).content.decode()
    assert "Copy it now" in page
    key = re.search(r'value="(fls_[^"]+)"', page).group(1)
    later = client.get("/accounts/profile/").content.decode()
    assert "<title>Your account · FLS registry</title>" in later
    assert key not in later
    assert "EHR feed" in later
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/programmes/").status_code == 200


def _api_routes():
    found = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
                found.append(route)

    walk(get_resolver().url_patterns)
    return found


def test_the_openapi_schema_validates_and_lists_every_endpoint(db):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    paths = set(schema["paths"])
    for route in _api_routes():
        openapi = "/" + re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m.group(1) == "pk" else "{" + m.group(1) + "}", route
        )
        assert openapi in paths, openapi


def test_api_docs_are_served_without_a_cdn(db, client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert off_site_assets(page) == [] and cdn_urls(page) == []
