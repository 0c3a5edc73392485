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


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("/p/{slug}/episodes/{episode}/edit/", "episode_edit"),
        ("/p/{slug}/patients/{patient}/edit/", "patient_edit"),
        ("/p/{slug}/episodes/new/?patient={patient}", "episode_new"),
        ("/p/{slug}/episodes/{episode}/delete/", "episode_delete"),
    ],
)
def test_the_pages_that_show_a_patients_identifiers_to_edit_them_are_logged(
    client, programme, lead, episode, url, what
):
    sign_in(client, lead)
    response = client.get(url.format(slug=programme.slug, episode=episode.pk, patient=episode.patient_id))
    assert response.status_code == 200
    assert events(programme) == [(lead.pk, what, "page")]


def test_the_leads_log_shows_changes_as_sentences_merged_with_reads(client, programme, lead, coordinator, episode):
    from patients import services as patient_services

    before = episode.dxa_date.isoformat() if episode.dxa_date else "—"
    patient_services.episode_update(
        episode=episode,
        actor=coordinator,
        values={"dxa": "yes", "dxa_date": "2026-11-23"},
        expected_version=episode.version,
        partial=True,
    )
    sign_in(client, coordinator)
    client.get(f"/p/{programme.slug}/episodes/{episode.pk}/")
    sign_in(client, lead)
    team = reverse("programmes:team", kwargs={"programme_slug": programme.slug})
    log = client.get(team).content.decode().split('id="log-h"')[1]
    assert f"changed DXA date from {before} to 2026-11-23" in log
    assert f"episode {episode.pk}" in log
    assert "Patient data viewed" in log  # the read, in the same list
    assert "{'" not in log and "': " not in log  # no dictionaries shown
    changed_only = client.get(team, {"action": "changed"}).content.decode().split("<tbody>")[-1]
    assert "changed DXA date" in changed_only and "Patient data viewed" not in changed_only


def test_a_reviewer_who_reads_evidence_is_not_named_in_the_applicants_log(
    client, programme, lead, reviewers, iof_staff, start_application, every_programme
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recognition import services as recognition_services
    from tests.recognition.conftest import answer_everything

    reviewers[1].full_name = "Prof Anna Keller"
    reviewers[1].save(update_fields=["full_name"])
    application = start_application(programme, lead)
    answer_everything(application, lead)
    standard, domain = application.pairs()[0]
    evidence = recognition_services.evidence_add(
        application=application,
        actor=lead,
        standard=standard.number,
        domain=domain,
        upload=SimpleUploadedFile("protocol.pdf", b"%PDF-1.4 protocol", content_type="application/pdf"),
    )
    application = recognition_services.application_submit(application=application, actor=lead)
    for reviewer in reviewers:
        recognition_services.reviewer_assign(application=application, reviewer=reviewer, actor=iof_staff)
    recognition_services.evidence_read(evidence=evidence, actor=reviewers[1]).close()
    sign_in(client, lead)
    log = client.get(reverse("programmes:team", kwargs={"programme_slug": programme.slug})).content.decode()
    log = log.split('id="log-h"')[1]
    assert "Reviewer B" in log
    assert "Anna Keller" not in log and reviewers[1].email not in log


def test_an_export_records_the_searchs_shape_not_its_text(client, programme, lead, episode):
    sign_in(client, lead)
    url = reverse("patients:export", kwargs={"programme_slug": programme.slug})
    client.get(url, {"q": episode.patient.patient_ref, "site": "wrist"}).getvalue()
    with programme_scope(programme.pk):
        [detail] = [e.detail for e in AccessEvent.objects.for_programme(programme).filter(action="exported")]
    assert detail["filters"]["q"] == "…"
    assert episode.patient.patient_ref not in str(detail)
