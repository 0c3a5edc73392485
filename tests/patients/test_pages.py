import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients import services
from patients.models import AuditEntry, Episode
from programmes.models import AccessEvent
from programmes.rls import programme_scope
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.patients.conftest import days_ago, valid_values


def test_coordinator_records_an_episode_in_the_form(programme, coordinator, login):
    response = login(coordinator).post(f"/p/{programme.slug}/episodes/new/", valid_values(patient_ref="N1"))
    assert response.status_code == 302
    with programme_scope(programme.pk):
        episode = Episode.objects.for_programme(programme).select_related("patient").get()
    assert response["Location"] == f"/p/{programme.slug}/episodes/{episode.pk}/"
    assert (episode.patient.patient_ref, episode.updated_by) == ("N1", coordinator)


def test_a_half_finished_episode_is_normal(programme, coordinator, login):
    minimal = {
        "patient_ref": "N2",
        "sex": "male",
        "birth_date": "1950-05-05",
        "fracture_date": days_ago(3),
        "fracture_site": "hip",
    }
    assert login(coordinator).post(f"/p/{programme.slug}/episodes/new/", minimal).status_code == 302
    with programme_scope(programme.pk):
        assert Episode.objects.for_programme(programme).get().fls_assessment == ""


def test_an_invalid_form_is_not_saved_and_names_the_field(programme, coordinator, login):
    response = login(coordinator).post(f"/p/{programme.slug}/episodes/new/", valid_values(dxa="no"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="err-dxa_date"' in page
    assert "a date is given but dxa is &#x27;no&#x27;" in page
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()


def test_live_validation_checks_only_touched_fields_and_saves_nothing(programme, coordinator, login):
    response = login(coordinator).post(
        f"/p/{programme.slug}/episodes/validate/",
        {"patient_ref": "N3", "fracture_site": "spine", "touched": ["fracture_site", "spine_detection"]},
    )
    page = response.content.decode()
    assert "1 problem" in page
    assert "is required for a spine fracture" in page
    assert "Sex cannot be blank" not in page
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()


def test_a_second_episode_for_an_existing_patient(programme, coordinator, login, episode):
    client = login(coordinator)
    page = client.get(f"/p/{programme.slug}/episodes/new/?patient={episode.patient_id}").content.decode()
    assert 'value="H0001"' in page and "disabled" in page
    refracture = valid_values(
        fracture_date=days_ago(30),
        identification_date="",
        fls_assessment="",
        fls_assessment_date="",
        dxa="",
        dxa_date="",
        first_followup_date="",
        aom_started="",
        aom_started_date="",
        sex="male",
        patient_ref="SOMETHING ELSE",
    )
    response = client.post(
        f"/p/{programme.slug}/episodes/new/?patient={episode.patient_id}", {**refracture, "patient": episode.patient_id}
    )
    assert response.status_code == 302
    with programme_scope(programme.pk):
        assert Episode.objects.for_programme(programme).filter(patient=episode.patient_id).count() == 2


def test_stale_form_save_is_refused_with_who_and_when(programme, coordinator, lead, login, episode):
    services.episode_update(
        episode=episode, actor=lead, values={"falls_assessment": "yes"}, expected_version=1, partial=True
    )
    form = {**valid_values(falls_assessment="no"), "version": 1}
    response = login(coordinator).post(f"/p/{programme.slug}/episodes/{episode.pk}/edit/", form)
    assert response.status_code == 409
    page = response.content.decode()
    assert f"changed by {lead.display_name} at" in page and "reload" in page
    with programme_scope(programme.pk):
        episode.refresh_from_db()
    assert (episode.falls_assessment, episode.version) == ("yes", 2)


def test_every_change_is_audited_field_by_field(programme, coordinator, lead, episode):
    services.episode_update(
        episode=episode,
        actor=coordinator,
        values={"dxa": "not_required", "dxa_date": ""},
        expected_version=1,
        partial=True,
    )
    with programme_scope(programme.pk):
        update = AuditEntry.objects.for_programme(programme).get(action="update")
    assert (update.actor, update.entity_id) == (coordinator, episode.pk)
    assert update.changes == {"dxa": ["yes", "not_required"], "dxa_date": [episode.dxa_date.isoformat(), None]}
    with programme_scope(programme.pk):
        episode.refresh_from_db()
    services.episode_delete(episode=episode, actor=lead, reason="wrong patient")
    with programme_scope(programme.pk):
        deleted = list(AuditEntry.objects.for_programme(programme).filter(action="delete").order_by("entity"))
    assert [(a.entity, a.reason) for a in deleted] == [("episode", "wrong patient"), ("patient", "wrong patient")]
    assert deleted[0].changes["fracture_site"] == ["wrist", None]


def test_audit_rows_cannot_be_changed(programme, episode):
    with programme_scope(programme.pk):
        entry = AuditEntry.objects.for_programme(programme).first()
        entry.reason = "rewritten"
        with pytest.raises(Exception, match="cannot be changed"):
            entry.save()


def test_the_audit_trail_is_shown_to_leads_only(programme, coordinator, lead, login, episode):
    assert "Audit trail" in login(lead).get(f"/p/{programme.slug}/episodes/{episode.pk}/").content.decode()
    assert "Audit trail" not in login(coordinator).get(f"/p/{programme.slug}/episodes/{episode.pk}/").content.decode()


def test_deleting_needs_the_lead_and_a_reason(programme, coordinator, lead, login, episode):
    assert (
        login(coordinator).post(f"/p/{programme.slug}/episodes/{episode.pk}/delete/", {"reason": "x"}).status_code
        == 403
    )
    assert login(lead).post(f"/p/{programme.slug}/episodes/{episode.pk}/delete/", {"reason": ""}).status_code == 400
    with programme_scope(programme.pk):
        assert Episode.objects.for_programme(programme).exists()
    assert (
        login(lead).post(f"/p/{programme.slug}/episodes/{episode.pk}/delete/", {"reason": "twice"}).status_code == 302
    )
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()


@pytest.mark.parametrize(("days_since_fracture", "listed"), [(97, False), (98, True), (112, True), (200, True)])
def test_worklist_shows_contacts_due_within_14_days_or_overdue(
    programme, coordinator, login, make_episode, days_since_fracture, listed
):
    make_episode(
        programme,
        coordinator,
        patient_ref="WORK-CONTACT",
        fracture_date=days_ago(days_since_fracture),
        identification_date="",
        fls_assessment_date=days_ago(days_since_fracture - 1),
        dxa_date=days_ago(days_since_fracture - 1),
        aom_started_date=days_ago(days_since_fracture - 1),
        first_followup_date="",
    )
    page = login(coordinator).get(f"/p/{programme.slug}/worklist/").content.decode()
    assert (">WORK-CONTACT</a>" in page) is listed


def test_worklist_is_oldest_first_and_recording_a_contact_takes_it_off(programme, coordinator, login, make_episode):
    for ref, days in (("NEWER", 110), ("OLDER", 150)):
        make_episode(
            programme,
            coordinator,
            patient_ref=ref,
            fracture_date=days_ago(days),
            identification_date="",
            fls_assessment_date=days_ago(days - 1),
            dxa_date=days_ago(days - 1),
            aom_started_date=days_ago(days - 1),
            first_followup_date="",
        )
    client = login(coordinator)
    page = client.get(f"/p/{programme.slug}/worklist/").content.decode()
    assert page.index("OLDER") < page.index("NEWER")
    with programme_scope(programme.pk):
        older = Episode.objects.for_programme(programme).get(patient__patient_ref="OLDER")
    response = client.post(
        f"/p/{programme.slug}/episodes/{older.pk}/contact/",
        {"contact": "first", "date": days_ago(0), "version": older.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Recorded" in response.content.decode()
    with programme_scope(programme.pk):
        older.refresh_from_db()
    assert older.first_followup_date == timezone.localdate()
    assert "OLDER" not in client.get(f"/p/{programme.slug}/worklist/").content.decode()


def test_a_worklist_row_posts_with_the_page_csrf_token_as_a_browser_would(programme, coordinator, make_episode):
    """The rows share one rendered CSRF field: a client that checks CSRF records a contact with it."""
    import re

    from django.test import Client

    make_episode(
        programme,
        coordinator,
        patient_ref="CSRF-ROW",
        fracture_date=days_ago(130),
        identification_date="",
        fls_assessment_date=days_ago(129),
        dxa_date=days_ago(129),
        aom_started_date=days_ago(129),
        first_followup_date="",
    )
    client = Client(enforce_csrf_checks=True)
    sign_in(client, coordinator)
    page = client.get(f"/p/{programme.slug}/worklist/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    with programme_scope(programme.pk):
        episode = Episode.objects.for_programme(programme).get(patient__patient_ref="CSRF-ROW")
    url = f"/p/{programme.slug}/episodes/{episode.pk}/contact/"
    fields = {"contact": "first", "date": days_ago(0), "version": episode.version}
    assert client.post(url, fields).status_code == 403  # without the token
    assert client.post(url, {**fields, "csrfmiddlewaretoken": token}).status_code == 302
    with programme_scope(programme.pk):
        episode.refresh_from_db()
    assert episode.first_followup_date == timezone.localdate()


def make_due_contacts(programme, count: int, *, first_overdue_by: int = 0):
    """``count`` first follow-ups falling due one a day, the oldest ``first_overdue_by`` days overdue."""
    from patients.importer import episodes_import

    rows = []
    for n in range(count):
        fracture = timezone.localdate() - timedelta(days=112 + first_overdue_by - n)
        rows.append(
            valid_values(
                patient_ref=f"DUE{n:04d}",
                fracture_date=fracture.isoformat(),
                identification_date="",
                fls_assessment_date=(fracture + timedelta(days=1)).isoformat(),
                dxa_date=(fracture + timedelta(days=1)).isoformat(),
                aom_started_date=(fracture + timedelta(days=1)).isoformat(),
                first_followup_date="",
            )
        )
    episodes_import(programme=programme, rows=[(n + 2, row, []) for n, row in enumerate(rows)])


def test_worklist_groups_overdue_this_week_and_next_week_with_counts(programme, coordinator, login):
    make_due_contacts(programme, 12, first_overdue_by=3)  # due from 3 days ago to 8 days ahead
    page = login(coordinator).get(f"/p/{programme.slug}/worklist/").content.decode()
    assert re.search(r"Overdue: <strong>3</strong>", page)
    assert re.search(r"Due within 7 days: <strong>7</strong>", page)
    assert re.search(r"Due in 8 to 14 days: <strong>2</strong>", page)
    this_week = login(coordinator).get(f"/p/{programme.slug}/worklist/", {"group": "this_week"}).content.decode()
    assert this_week.count('<tr id="work-') == 7 and "DUE0002" not in this_week and "DUE0003" in this_week
    assert 'aria-current="page">Due within 7 days: 7</strong>' in this_week
    headers = re.findall(r'<th scope="rowgroup" colspan="4">([^<]+)</th>', page)
    assert headers == ["Overdue", "Due within 7 days", "Due in 8 to 14 days"]
    assert page.index("DUE0000") < page.index("DUE0003") < page.index("DUE0010")
    assert "3 days overdue" in page


def test_worklist_pages_like_the_episode_list_with_a_constant_number_of_queries(
    programme, other_programme, coordinator, make_member, login
):
    few_programme = other_programme
    make_due_contacts(few_programme, 5)
    few_client = login(make_member(few_programme))
    with CaptureQueriesContext(connection) as few:
        few_client.get(f"/p/{few_programme.slug}/worklist/", {"per_page": 25})
    make_due_contacts(programme, 60, first_overdue_by=45)  # due from 45 days ago to 14 days ahead
    client = login(coordinator)
    with CaptureQueriesContext(connection) as many:
        first = client.get(f"/p/{programme.slug}/worklist/", {"per_page": 25}).content.decode()
    assert len(many) == len(few)
    assert first.count('<tr id="work-') == 25 and "Page 1 of 3" in first
    last = client.get(f"/p/{programme.slug}/worklist/", {"per_page": 25, "page": 3}).content.decode()
    assert last.count('<tr id="work-') == 10 and "DUE0059" in last and "DUE0000" not in last


def test_list_search_filters_and_status(programme, coordinator, login, make_episode):
    make_episode(programme, coordinator, patient_ref="ABC-1", fracture_site="hip")
    make_episode(programme, coordinator, patient_ref="XYZ-2", fls_assessment="", fls_assessment_date="")
    client = login(coordinator)
    page = client.get(f"/p/{programme.slug}/episodes/", {"q": "abc"}).content.decode()
    assert "ABC-1" in page and "XYZ-2" not in page
    page = client.get(f"/p/{programme.slug}/episodes/", {"status": "not_assessed"}).content.decode()
    assert "XYZ-2" in page and "ABC-1" not in page
    page = client.get(f"/p/{programme.slug}/episodes/", {"site": "hip"}).content.decode()
    assert "ABC-1" in page and "XYZ-2" not in page


def test_list_queries_do_not_grow_with_the_page_size(programme, coordinator, login):
    from patients.importer import episodes_import

    rows = [(n + 2, valid_values(patient_ref=f"Q{n:04d}"), []) for n in range(220)]
    episodes_import(programme=programme, rows=rows, parallel=False)
    client = login(coordinator)
    client.get(f"/p/{programme.slug}/episodes/")  # the once-a-minute work: session refresh, 2FA check
    counts = {}
    for size in (25, 200):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/p/{programme.slug}/episodes/", {"per_page": size}).content.decode()
        assert page.count("/episodes/") >= size
        counts[size] = len(queries)
    assert counts[25] == counts[200]


def test_export_writes_the_access_log_and_only_this_programme(
    programme, other_programme, coordinator, login, make_episode
):
    make_episode(programme, coordinator, patient_ref="MINE")
    make_episode(other_programme, patient_ref="THEIRS")
    response = login(coordinator).get(f"/p/{programme.slug}/export.csv")
    body = b"".join(response.streaming_content).decode()
    assert "MINE" in body and "THEIRS" not in body
    with programme_scope(programme.pk):
        assert AccessEvent.objects.for_programme(programme).filter(action="exported", actor=coordinator).count() == 1


def test_upload_with_errors_lists_them_and_writes_nothing(programme, coordinator, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = "patient_ref,sex,birth_date,fracture_date,fracture_site\nU1,female,1950-01-01,2025-01-01,knee\nU2,f,1950-01-01,2025-01-01,hip\n"
    response = login(coordinator).post(
        f"/p/{programme.slug}/import/", {"file": SimpleUploadedFile("bad.csv", bad.encode())}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "2 problems. Nothing was written." in page
    assert "<td>2</td><td>fracture_site</td>" in page and "<td>3</td><td>sex</td>" in page
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()
    good = bad.replace("knee", "hip").replace(",f,", ",female,")
    response = login(coordinator).post(
        f"/p/{programme.slug}/import/", {"file": SimpleUploadedFile("good.csv", good.encode())}
    )
    assert response.status_code == 302
    with programme_scope(programme.pk):
        assert Episode.objects.for_programme(programme).count() == 2


def test_viewers_cannot_export_or_import(programme, viewer, login):
    assert login(viewer).get(f"/p/{programme.slug}/export.csv").status_code == 403
    assert login(viewer).get(f"/p/{programme.slug}/import/").status_code == 403


def test_superuser_adds_an_episode_in_the_admin_through_the_services(programme, login):
    admin = UserFactory(is_superuser=True)
    response = login(admin).post(
        "/admin/patients/episode/add/", {**valid_values(patient_ref="ADM1"), "programme_slug": programme.slug}
    )
    assert response.status_code == 302
    with programme_scope(programme.pk):
        episode = Episode.objects.for_programme(programme).select_related("patient").get()
        assert AuditEntry.objects.for_programme(programme).get(entity="episode").source == "admin"
    assert episode.patient.patient_ref == "ADM1"


def test_iof_staff_never_see_patient_rows_in_the_admin(iof_staff, login, episode):
    client = login(iof_staff)
    assert client.get("/admin/patients/episode/").status_code == 403
    assert "patients" not in client.get("/admin/").content.decode().lower().split("<main")[-1].split("recent")[0]


@pytest.mark.parametrize("suffix", ["", "edit/", "delete/", "contact/"])
def test_another_programmes_episode_id_answers_404(programme, other_programme, lead, login, make_episode, suffix):
    theirs = make_episode(other_programme, patient_ref="THEIRS")
    client = login(lead)
    assert client.get(f"/p/{programme.slug}/episodes/{theirs.pk}/{suffix}").status_code in (404, 405)
    response = client.post(
        f"/p/{programme.slug}/episodes/{theirs.pk}/{suffix}",
        {**valid_values(), "version": 1, "reason": "x", "contact": "first", "date": days_ago(0)},
    )
    assert response.status_code == (405 if suffix == "" else 404)
    with programme_scope(other_programme.pk):
        theirs.refresh_from_db()
    assert theirs.version == 1


@pytest.mark.parametrize("suffix", ["", "edit/"])
def test_another_programmes_patient_id_answers_404(programme, other_programme, lead, login, make_episode, suffix):
    theirs = make_episode(other_programme, patient_ref="THEIRS")
    assert login(lead).get(f"/p/{programme.slug}/patients/{theirs.patient_id}/{suffix}").status_code == 404
    assert login(lead).get(f"/p/{programme.slug}/episodes/new/?patient={theirs.patient_id}").status_code == 404


def test_patient_correction_rechecks_every_episode(programme, coordinator, login, episode):
    client = login(coordinator)
    with programme_scope(programme.pk):
        patient = episode.patient
    too_young = (timezone.localdate() - timedelta(days=40 * 365)).isoformat()
    response = client.post(
        f"/p/{programme.slug}/patients/{episode.patient_id}/edit/",
        {"version": 1, "patient_ref": "H0001", "sex": "female", "birth_date": too_young},
    )
    assert response.status_code == 400
    assert "aged 50 or over" in response.content.decode()
    response = client.post(
        f"/p/{programme.slug}/patients/{episode.patient_id}/edit/",
        {"version": 1, "patient_ref": "H0001-B", "sex": "female", "birth_date": patient.birth_date.isoformat()},
    )
    assert response.status_code == 302
    with programme_scope(programme.pk):
        patient.refresh_from_db()
    assert patient.patient_ref == "H0001-B"


def test_viewing_an_episode_is_in_the_access_log(programme, viewer, login, episode):
    login(viewer).get(f"/p/{programme.slug}/episodes/{episode.pk}/")
    with programme_scope(programme.pk):
        event = AccessEvent.objects.for_programme(programme).get(action="viewed")
    assert (event.actor, event.detail) == (viewer, {"episode": episode.pk, "what": "episode", "via": "page"})
