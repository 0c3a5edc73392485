"""Uploads are bounded before they are read, and a hostile CSV gets a clear, bounded answer."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from patients import rules
from patients.models import Episode
from programmes.csvio import MAX_ERRORS_LISTED
from programmes.rls import programme_scope
from tests.conftest import sign_in


@pytest.fixture
def import_url(programme):
    return reverse("patients:import", kwargs={"programme_slug": programme.slug})


def test_an_oversized_import_is_refused_before_it_is_read(client, programme, coordinator, import_url, settings):
    settings.PATIENTS_IMPORT_MAX_BYTES = 1024 * 1024
    sign_in(client, coordinator)
    body = b"patient_ref\n" + b"x" * (3 * 1024 * 1024)
    response = client.post(import_url, {"file": SimpleUploadedFile("big.csv", body, "text/csv")})
    assert response.status_code == 413
    assert "The upload is 3.0 MB; at most 1.0 MB are accepted here." in response.content.decode()
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()


def test_an_oversized_api_body_gets_413_in_json(client, coordinator, programme, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    sign_in(client, coordinator)
    response = client.post(
        f"/api/v1/programmes/{programme.slug}/episodes/bulk/",
        data=b"[" + b" " * (3 * 1024 * 1024) + b"]",
        content_type="application/json",
    )
    assert response.status_code == 413
    assert "at most 1.0 MB" in response.json()["detail"]


def test_a_header_of_thousands_of_columns_is_refused_at_once(client, coordinator, import_url):
    sign_in(client, coordinator)
    header = ",".join(f"c{n}" for n in range(20000))
    response = client.post(import_url, {"file": SimpleUploadedFile("wide.csv", header.encode() + b"\n", "text/csv")})
    assert response.status_code == 400
    assert "the header has 20000 columns; at most 200 are read" in response.content.decode()


def test_many_bad_rows_are_counted_in_full_but_listed_only_at_first(client, programme, coordinator, import_url):
    sign_in(client, coordinator)
    lines = [",".join(rules.COLUMNS)] + [f"R{n},x" + "," * (len(rules.COLUMNS) - 2) for n in range(1000)]
    response = client.post(import_url, {"file": SimpleUploadedFile("bad.csv", "\n".join(lines).encode(), "text/csv")})
    page = response.content.decode()
    assert response.status_code == 400
    assert "bad.csv was not imported:" in page and "problems. Nothing was written." in page
    assert f"The first {MAX_ERRORS_LISTED} are listed below" in page
    assert page.count("<tr><td>") == MAX_ERRORS_LISTED
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()
