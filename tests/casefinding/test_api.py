"""POST /api/v1/programmes/<slug>/case-finding/: a personal token, the feeds' content types, the
same JSON as the command, an HL7 ACK for a sender that asks for one, bounded and all-or-nothing."""

import pytest
from django.test import Client, override_settings

from accounts.services import api_token_create
from casefinding.models import SeenRecord
from programmes import rls
from programmes.models import AccessEvent
from tests.casefinding.conftest import candidates_of
from tests.casefinding.samples import FORMATS, Case
from tests.casefinding.test_find_cases import CASES, EXPECTED
from tests.writes import rows_written

pytestmark = pytest.mark.django_db

HL7 = "x-application/hl7-v2+er7"
MEDIA = {"csv": "text/csv", "fhir": "application/fhir+json", "hl7v2": HL7}


def api(user):
    _token, key = api_token_create(user=user, name="feed")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def url(programme):
    return f"/api/v1/programmes/{programme.slug}/case-finding/"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_coordinator_pushes_each_format(fmt, programme, coordinator):
    client = api(coordinator)
    response = client.post(url(programme), FORMATS[fmt](CASES), content_type=MEDIA[fmt])
    assert response.status_code == 200, response.content
    assert response.json() == EXPECTED
    again = client.post(url(programme), FORMATS[fmt](CASES), content_type=MEDIA[fmt]).json()
    assert again["unchanged"] == 10 and again["candidates"] == 0
    with rls.programme_scope(programme.pk):
        event = AccessEvent.objects.for_programme(programme).filter(action="imported").first()
    assert (event.actor, event.detail["via"]) == (coordinator, "api")


def test_text_plain_starting_with_msh_is_hl7(programme, coordinator):
    response = api(coordinator).post(url(programme), FORMATS["hl7v2"](CASES), content_type="text/plain")
    assert response.json() == EXPECTED


def test_text_plain_without_msh_is_refused(programme, coordinator):
    response = api(coordinator).post(url(programme), FORMATS["csv"](CASES), content_type="text/plain")
    assert response.status_code == 415
    assert "MSH" in response.json()["detail"]


def test_an_hl7_sender_gets_one_ack_per_message(programme, coordinator):
    response = api(coordinator).post(url(programme), FORMATS["hl7v2"](CASES[:2]), content_type=HL7, HTTP_ACCEPT=HL7)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(HL7)
    segments = response.content.decode().split("\r")
    assert [s.split("|")[0] for s in segments if s] == ["MSH", "MSA", "MSH", "MSA"]
    assert segments[0].split("|")[8] == "ACK^A01^ACK"
    assert segments[1].split("|")[:3] == ["MSA", "AA", "a1"]
    assert segments[3].split("|")[:3] == ["MSA", "AA", "a2"]


def test_an_unreadable_hl7_body_gets_a_reject_ack_and_stores_nothing(programme, coordinator):
    body = FORMATS["hl7v2"](CASES[:2]).replace(b"|a2|", b"||")
    client = api(coordinator)
    client.post(url(programme), b"", content_type=HL7)  # the token's first use is a write of its own
    before = rows_written()
    response = client.post(url(programme), body, content_type=HL7, HTTP_ACCEPT=HL7)
    assert response.status_code == 400
    assert "MSA|AR|a1|record 2: MSH-10" in response.content.decode()
    assert rows_written() == before


@pytest.mark.parametrize(
    ("body", "media", "message"),
    [
        (b'{"resourceType": "Observation"}', "application/fhir+json", "record 1: not a FHIR Bundle"),
        (b"a,b\n1,2\n", "text/csv", "record 1: not a case-finding CSV"),
        (b"MSH|^~\\&|X\rPID|1\r", HL7, "record 1: MSH-10"),
    ],
)
def test_an_unreadable_body_is_a_clear_400_and_stores_nothing(programme, coordinator, body, media, message):
    client = api(coordinator)
    client.post(url(programme), b"", content_type=media)  # the token's first use is a write of its own
    before = rows_written()
    response = client.post(url(programme), body, content_type=media)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert response.json()["detail"].endswith("nothing was stored")
    assert rows_written() == before


def test_another_content_type_is_415(programme, coordinator):
    response = api(coordinator).post(url(programme), b"<xml/>", content_type="application/xml")
    assert response.status_code == 415


@override_settings(CASE_FINDING_MAX_BYTES=2_000)
def test_the_body_is_bounded(programme, coordinator):
    body = FORMATS["csv"]([Case(f"s{n}", f"P{n}", "1940-01-01", "2026-01-01", ["S72.0"]) for n in range(100)])
    response = api(coordinator).post(url(programme), body, content_type="text/csv")
    assert response.status_code == 413
    with rls.programme_scope(programme.pk):
        assert not SeenRecord.objects.for_programme(programme).exists()


def test_the_upload_limit_refuses_a_large_body_before_reading_it(programme, coordinator, settings):
    settings.CASE_FINDING_MAX_BYTES = 3_000_000
    body = b"x" * 3_200_000
    response = api(coordinator).post(url(programme), body, content_type="text/csv")
    assert response.status_code == 413


def test_viewers_and_other_programmes_are_refused(programme, other_programme, viewer, make_member):
    body = FORMATS["csv"](CASES)
    assert api(viewer).post(url(programme), body, content_type="text/csv").status_code == 403
    outsider = make_member(other_programme, "lead")
    outsider_client = Client()
    outsider_client.force_login(outsider)
    assert Client().post(url(programme), body, content_type="text/csv").status_code in (401, 403)
    assert candidates_of(programme) == []


def test_the_endpoint_is_in_the_openapi_schema(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/programmes/{programme_slug}/case-finding/"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/fhir+json", "text/csv", HL7, "text/plain"}
    assert {"200", "400", "413", "415"} <= set(operation["responses"])
