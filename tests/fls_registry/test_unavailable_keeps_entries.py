"""A save that meets an unreachable database: the 503 page keeps what the person typed (never a
password or a code) and sends it again to the same address."""

from django.db import OperationalError
from django.test import override_settings
from django.urls import path

from fls_registry.views import server_error


def failing_save(request):
    raise OperationalError("connection to server at 127.0.0.1 failed")


urlpatterns = [path("p/x/episodes/new/", failing_save)]
handler500 = server_error


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_the_503_page_keeps_the_entries_and_offers_to_send_them_again(client, db):
    client.raise_request_exception = False
    response = client.post(
        "/p/x/episodes/new/?patient=3",
        {"patient_ref": "H-0042", "fracture_site": "wrist", "password": "secret-pass", "note": "<b>fell</b>"},
    )
    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Temporarily unavailable" in page and "Nothing was saved" in page
    assert 'action="/p/x/episodes/new/?patient=3"' in page
    assert 'name="patient_ref" value="H-0042"' in page and "<dd>wrist</dd>" in page
    assert "secret-pass" not in page and 'name="password"' not in page
    assert "&lt;b&gt;fell&lt;/b&gt;" in page and "<b>fell</b>" not in page  # shown, never run
    assert 'name="csrfmiddlewaretoken" value="' in page and "Send again" in page


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_page_read_gets_the_plain_503(client, db):
    client.raise_request_exception = False
    response = client.get("/p/x/episodes/new/")
    assert response.status_code == 503 and "Send again" not in response.content.decode()
