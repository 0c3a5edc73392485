"""Every read of patient data and every export is in the access log, and the lead filters it."""

from datetime import date

import pytest
from django.urls import reverse

from kpis import services as kpi_services
from programmes.models import AccessEvent
from programmes.rls import programme_scope
from tests.conftest import sign_in


def events(programme, action=AccessEvent.Action.VIEWED):
    with programme_scope(programme.pk):
        return [
            (event.actor_id, event.detail.get("what"), event.detail.get("via"))
            for event in AccessEvent.objects.for_programme(programme).filter(action=action).order_by("id")
        ]


@pytest.fixture
def computed(programme, episode):
    kpi_services.results_recompute()
    return episode


@pytest.mark.parametrize(
    ("url", "what", "via"),
    [
        ("/p/{slug}/episodes/", "episode_list", "page"),
        ("/p/{slug}/episodes/{episode}/", "episode", "page"),
        ("/p/{slug}/patients/{patient}/", "patient", "page"),
        ("/p/{slug}/worklist/", "worklist", "page"),
        ("/p/{slug}/kpis/KPI3/?outcome=met", "kpi_drilldown", "page"),
        ("/api/v1/programmes/{slug}/episodes/", "episode_list", "api"),
        ("/api/v1/programmes/{slug}/episodes/{episode}/", "episode", "api"),
    ],
)
def test_each_read_of_patient_data_is_logged(client, programme, viewer, computed, url, what, via):
    sign_in(client, viewer)
    path = url.format(slug=programme.slug, episode=computed.pk, patient=computed.patient_id)
    assert client.get(path).status_code == 200, path
    assert events(programme) == [(viewer.pk, what, via)]


def test_exports_are_logged(client, programme, lead, computed, django_capture_on_commit_callbacks):
    sign_in(client, lead)
    client.get(reverse("patients:export", kwargs={"programme_slug": programme.slug})).getvalue()
    with django_capture_on_commit_callbacks(execute=True):
        report = kpi_services.report_request(
            programme=programme, actor=lead, start=date(2025, 1, 1), end=date(2025, 12, 31), as_of=date(2026, 1, 1)
        )
    report.refresh_from_db()
    assert (
        client.get(reverse("kpis:report_pdf", kwargs={"programme_slug": programme.slug, "pk": report.pk})).status_code
        == 200
    )
    with programme_scope(programme.pk):
        exported = [event.detail for event in AccessEvent.objects.for_programme(programme).filter(action="exported")]
    assert sorted(detail.get("format") or detail.get("what") for detail in exported) == ["csv", "kpi_report_pdf"]


def test_the_lead_filters_the_access_log(client, programme, lead, viewer, coordinator, computed):
    for person in (viewer, coordinator):
        sign_in(client, person)
        client.get(f"/p/{programme.slug}/episodes/{computed.pk}/")
    sign_in(client, lead)
    team = reverse("programmes:team", kwargs={"programme_slug": programme.slug})
    page = client.get(team, {"action": "viewed", "who": viewer.email}).content.decode()
    assert "1 event shown" in page
    assert viewer.display_name in page.split('id="log-h"')[1]
    assert coordinator.display_name not in page.split('id="log-h"')[1]
    today = date.today().isoformat()
    assert "2 events shown" in client.get(team, {"action": "viewed", "since": today, "until": today}).content.decode()
    assert "0 events shown" in client.get(team, {"action": "viewed", "until": "2000-01-01"}).content.decode()


def test_only_the_lead_reads_the_access_log(client, programme, coordinator):
    sign_in(client, coordinator)
    assert client.get(reverse("programmes:team", kwargs={"programme_slug": programme.slug})).status_code == 403
