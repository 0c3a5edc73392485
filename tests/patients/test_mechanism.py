"""How the fracture happened (optional): the form, the CSV both ways, the API; a high-energy injury
is flagged on the episode page as outside the FLS's scope; a wrong code is named with its field."""

import pytest

from patients.exports import EXPORT_COLUMNS
from patients.models import Episode
from programmes.rls import programme_scope
from tests.patients.conftest import valid_values
from tests.patients.test_api import api, url


def stored(programme, ref):
    with programme_scope(programme.pk):
        return Episode.objects.for_programme(programme).get(patient__patient_ref=ref)


def test_the_form_records_it_and_a_high_energy_injury_is_flagged(programme, coordinator, login):
    client = login(coordinator)
    form = client.get(f"/p/{programme.slug}/episodes/new/").content.decode()
    assert 'name="mechanism"' in form and "fall from standing height or less" in form
    response = client.post(
        f"/p/{programme.slug}/episodes/new/", valid_values(patient_ref="M1", mechanism="high_energy")
    )
    assert response.status_code == 302
    assert stored(programme, "M1").mechanism == "high_energy"
    page = client.get(response["Location"]).content.decode()
    assert "Outside the FLS's scope:" in page and "high-energy injury" in page
    response = client.post(f"/p/{programme.slug}/episodes/new/", valid_values(patient_ref="M2", mechanism=""))
    assert response.status_code == 302  # optional
    assert "Outside the FLS's scope" not in client.get(response["Location"]).content.decode()


def test_the_api_takes_and_gives_it_and_names_a_wrong_code(programme, coordinator):
    client = api(coordinator)
    created = client.post(url(programme), valid_values(mechanism="other_low_energy"), content_type="application/json")
    assert created.status_code == 201 and created.json()["mechanism"] == "other_low_energy"
    wrong = client.post(
        url(programme), valid_values(patient_ref="M3", mechanism="car_crash"), content_type="application/json"
    )
    assert wrong.status_code == 400 and "mechanism" in wrong.content.decode()


@pytest.mark.parametrize("value", ["low_trauma_fall", ""])
def test_the_csv_imports_and_exports_it(programme, coordinator, login, value):
    from patients.rules import COLUMNS

    row = valid_values(patient_ref="M4", mechanism=value)
    csv_text = ",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n"
    client = login(coordinator)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("episodes.csv", csv_text.encode(), content_type="text/csv")
    assert client.post(f"/p/{programme.slug}/import/", {"file": upload}).status_code in (200, 302)
    assert stored(programme, "M4").mechanism == value
    export = b"".join(client.get(f"/p/{programme.slug}/export.csv").streaming_content).decode()
    header, line = export.splitlines()[:2]
    assert "mechanism" in EXPORT_COLUMNS and header.split(",")[EXPORT_COLUMNS.index("mechanism")] == "mechanism"
    assert line.split(",")[EXPORT_COLUMNS.index("mechanism")] == value
