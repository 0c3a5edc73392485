"""Answers that hold identifiable data are never kept by a browser's or a proxy's cache."""

import pytest
from django.urls import reverse

from tests.conftest import sign_in


@pytest.fixture
def pages(programme, episode):
    slug = programme.slug
    return [
        reverse("patients:episode_list", kwargs={"programme_slug": slug}),
        reverse("patients:episode_detail", kwargs={"programme_slug": slug, "pk": episode.pk}),
        reverse("patients:worklist", kwargs={"programme_slug": slug}),
        reverse("patients:export", kwargs={"programme_slug": slug}),
        reverse("kpis:dashboard", kwargs={"programme_slug": slug}),
        f"/api/v1/programmes/{slug}/episodes/",
        f"/api/v1/programmes/{slug}/episodes/{episode.pk}/",
        "/",
    ]


def test_patient_pages_exports_and_the_api_say_no_store(client, lead, pages):
    sign_in(client, lead)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_public_documents_keep_their_own_caching(client, db):
    response = client.get("/api/v1/public/summary")
    assert response["Cache-Control"].startswith("public, max-age=")
