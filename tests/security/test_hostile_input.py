"""Bad input answers a clear 400 that says what and where; nothing is written; never a 500."""

import html
import io
import json

import pytest

from patients.models import Episode
from programmes.rls import programme_scope
from tests.patients.conftest import valid_values
from tests.writes import rows_written


def stored():
    """Rows written so far by this test's transaction (tests/writes.py): unchanged when nothing is."""
    return rows_written()


@pytest.fixture
def client(coordinator, login):
    return login(coordinator)


def text(response) -> str:
    return html.unescape(response.content.decode())


def api(programme, path=""):
    return f"/api/v1/programmes/{programme.slug}/{path}"


# --- NUL characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["episodes/?q=%00", "export.csv?q=%00", "episodes/?status=not_assessed&q=a%00b", "worklist/?page=%00"]
)
def test_a_nul_in_a_page_query_answers_400(client, programme, path):
    response = client.get(f"/p/{programme.slug}/{path}")
    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()
    assert "query parameter" in response.content.decode()


def test_a_nul_in_an_api_query_answers_a_json_400(client, programme):
    response = client.get(api(programme, "episodes/") + "?q=%00")
    assert response.status_code == 400
    assert "contains a NUL character" in response.json()["detail"]


def test_a_nul_in_a_form_field_answers_400_and_saves_nothing(client, programme):
    before = stored()
    for url in (f"/p/{programme.slug}/episodes/new/", f"/p/{programme.slug}/episodes/validate/"):
        response = client.post(url, valid_values(patient_ref="H\x00001"))
        assert response.status_code == 400, url
        assert "The form field 'patient_ref' contains a NUL character" in text(response)
    assert stored() == before


def test_a_nul_in_a_csv_cell_is_reported_by_row_and_column(client, programme):
    from patients.rules import COLUMNS

    row = valid_values(patient_ref="H\x00001")
    csv_text = ",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n"
    upload = io.BytesIO(csv_text.encode())
    upload.name = "nul.csv"
    before = stored()
    response = client.post(f"/p/{programme.slug}/import/", {"file": upload})
    assert response.status_code == 400
    assert "<td>2</td><td>patient_ref</td><td>contains a NUL character" in text(response)
    assert stored() == before


def test_a_nul_in_a_csv_cell_from_the_command_line_exits_1_with_the_row(programme, tmp_path):
    from django.core.management import call_command

    from patients.rules import COLUMNS

    row = valid_values(patient_ref="H\x00001")
    path = tmp_path / "nul.csv"
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n")
    errors = io.StringIO()
    with pytest.raises(SystemExit) as exit_status:
        call_command("import_patients", programme.slug, str(path), stderr=errors)
    assert exit_status.value.code == 1
    assert "row 2, column patient_ref: contains a NUL character" in errors.getvalue()


@pytest.mark.parametrize("bulk", [False, True])
def test_a_nul_in_api_json_answers_400(client, programme, bulk):
    before = stored()
    body = valid_values(patient_ref="H\u0000001")
    response = client.post(
        api(programme, "episodes/bulk/" if bulk else "episodes/"),
        json.dumps([body] if bulk else body),
        content_type="application/json",
    )
    assert response.status_code == 400
    where = "$[0].patient_ref" if bulk else "$.patient_ref"
    assert f"the text at {where} contains a NUL character" in response.json()["detail"]
    assert stored() == before


def test_the_dataset_rules_refuse_a_nul_whatever_the_way_in():
    from datetime import date

    from patients.rules import clean_episode

    _clean, errors = clean_episode(valid_values(patient_ref="A\x00B"), today=date(2026, 11, 23))
    assert [(e.field, e.message) for e in errors] == [
        ("patient_ref", "contains a NUL character (\\0), which is not text: remove it")
    ]


# --- Numbers and ids -------------------------------------------------------------------------


def test_a_version_that_overflows_answers_400(client, programme, episode):
    with programme_scope(programme.pk):
        before = (stored(), Episode.objects.for_programme(programme).get().version)
    url = api(programme, f"episodes/{episode.pk}/")
    response = client.patch(url, '{"version": 1e309, "falls_assessment": "no"}', content_type="application/json")
    assert response.status_code == 400 and "too large" in response.json()["detail"]
    for version in ("1", True, 1.0, None):
        response = client.patch(url, {"version": version, "falls_assessment": "no"}, content_type="application/json")
        assert response.status_code == 400, version
        assert response.json()["errors"][0]["field"] == "version"
    response = client.patch(url, '{"version": 99999999999999999999999}', content_type="application/json")
    assert response.status_code == 400 and "out of range" in response.json()["detail"]
    with programme_scope(programme.pk):
        assert (stored(), Episode.objects.for_programme(programme).get().version) == before


def test_if_match_is_read_as_an_etag(client, programme, episode):
    url = api(programme, f"episodes/{episode.pk}/")
    etag = client.get(url)["ETag"]
    assert etag == f'"{episode.version}"'
    response = client.patch(url, {"falls_assessment": "no"}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] == f'"{episode.version + 1}"'
    stale = client.patch(url, {"falls_assessment": "yes"}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 409
    garbled = client.patch(url, {"falls_assessment": "yes"}, content_type="application/json", HTTP_IF_MATCH="abc")
    assert garbled.status_code == 400


def test_a_delete_with_a_version_that_is_not_a_number_answers_400(programme, lead, login, episode):
    response = login(lead).delete(api(programme, f"episodes/{episode.pk}/") + "?version=abc&reason=twice")
    assert response.status_code == 400 and "'version' must be a whole number" in response.json()["detail"]
    with programme_scope(programme.pk):
        assert Episode.objects.for_programme(programme).filter(pk=episode.pk).exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "episodes/new/?patient=abc"),
        ("get", "episodes/new/?patient=-1"),
        ("post", "episodes/validate/?episode=abc"),
        ("post", "episodes/validate/?episode=1e5"),
    ],
)
def test_an_id_in_a_query_that_is_not_a_number_answers_400(client, programme, method, path):
    response = getattr(client, method)(f"/p/{programme.slug}/{path}")
    assert response.status_code == 400
    assert "must be a whole number" in text(response)


def test_a_form_version_that_is_not_a_number_answers_400(client, programme, episode):
    values = valid_values(version="abc")
    response = client.post(f"/p/{programme.slug}/episodes/{episode.pk}/edit/", values)
    assert response.status_code == 400 and "'version' must be a whole number" in text(response)


def test_an_expected_caseload_out_of_range_answers_400(programme, lead, login):
    client = login(lead)
    before = stored()
    body = {"year": 2026, "non_spine": 10**12, "spine": 5}
    response = client.post(api(programme, "expected-caseload/"), body, content_type="application/json")
    assert response.status_code == 400 and "non_spine" in response.json()
    response = client.post(
        f"/p/{programme.slug}/settings/", {"save_caseload": "1", "year": 2026, "non_spine": 10**12, "spine": 5}
    )
    assert response.status_code == 400 and "less than or equal to 1000000" in response.content.decode()
    assert stored() == before


def test_the_caseload_service_itself_refuses_out_of_range_values(programme):
    from django.core.exceptions import ValidationError

    from programmes.services import expected_caseload_set

    with pytest.raises(ValidationError) as refused:
        expected_caseload_set(programme=programme, year=3000, non_spine=10**12, spine=-1)
    assert set(refused.value.message_dict) == {"year", "non_spine", "spine"}


# --- Structure and types ---------------------------------------------------------------------


@pytest.mark.parametrize("bulk", [False, True])
def test_json_nested_thousands_of_levels_deep_answers_400(client, programme, bulk):
    body = "[" * 5000 + "]" * 5000 if bulk else '{"patient_ref": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post(
        api(programme, "episodes/bulk/" if bulk else "episodes/"), body, content_type="application/json"
    )
    assert response.status_code == 400 and "nested deeper than" in response.json()["detail"]


@pytest.mark.parametrize("value", [{"a": 1}, True, 12345, 1.5, ["H1"]])
def test_the_api_accepts_only_the_types_its_schema_states(client, programme, value):
    before = stored()
    response = client.post(
        api(programme, "episodes/"), {**valid_values(), "patient_ref": value}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "patient_ref"
    assert "must be text (a string) or null" in response.json()["errors"][0]["message"]
    bulk = client.post(
        api(programme, "episodes/bulk/"),
        [valid_values(patient_ref="OK1"), {**valid_values(), "sex": value}],
        content_type="application/json",
    )
    assert bulk.status_code == 400
    assert (
        bulk.json()["errors"] == [{"index": 1, "field": "sex", "message": bulk.json()["errors"][0]["message"]}]
        and "must be text" in bulk.json()["errors"][0]["message"]
    )
    assert stored() == before


def test_a_nan_in_json_answers_400(client, programme, episode):
    response = client.patch(
        api(programme, f"episodes/{episode.pk}/"), '{"version": NaN}', content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("slug", ["../../evil", "a b", "x" * 65, "Yaroslavl"])
def test_the_programme_switcher_refuses_a_malformed_programme(login, slug, db):
    response = login(None).get("/switch-programme/", {"programme": slug})
    assert response.status_code == 400
    assert "is not a programme's short name" in text(response)


# --- Lone surrogates and JSON types ----------------------------------------------------------------


def test_a_lone_surrogate_in_api_json_is_a_400_naming_the_field(client, programme):
    body = '{"patient_ref": "P-\\ud800", "sex": "F"}'  # valid JSON, but half of a character pair
    before = stored()
    response = client.post(api(programme, "episodes/"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert "$.patient_ref" in response.json()["detail"]
    assert "surrogate" in response.json()["detail"]
    assert stored() == before


def test_a_lone_surrogate_in_a_booking_is_a_400(login, day, mentee, candidate):
    response = login(mentee).post(
        f"/api/v1/mentorship/training-days/{day.pk}/bookings/",
        data='{"candidate": "'
        + candidate.slug
        + '", "attendee_name": "Anna \\udfff", "attendee_email": "a@k.example"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "$.attendee_name" in response.json()["detail"]


@pytest.mark.parametrize(
    ("field", "value"), [("attendee_name", 4242), ("attendee_email", 1), ("candidate", True), ("attendee_name", None)]
)
def test_the_booking_api_takes_text_as_text_only(login, day, mentee, candidate, field, value):
    payload = {"candidate": candidate.slug, "attendee_name": "Anna", "attendee_email": "anna@kazan.example"}
    payload[field] = value
    response = login(mentee).post(
        f"/api/v1/mentorship/training-days/{day.pk}/bookings/",
        data=json.dumps(payload),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("value", [" 802 ", "802", 802.5, True])
def test_the_caseload_api_takes_numbers_as_numbers_only(login, programme, lead, value):
    payload = {"year": 2026, "non_spine": value, "spine": 10}
    response = login(lead).post(
        api(programme, "expected-caseload/"), data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 400
    assert "non_spine" in response.json()
    ok = login(lead).post(
        api(programme, "expected-caseload/"),
        data=json.dumps({**payload, "non_spine": 802}),
        content_type="application/json",
    )
    assert ok.status_code == 200
