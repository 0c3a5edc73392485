"""The inbox: open candidates oldest first, accept through the new-episode form, dismiss with a
reason, the upload of a feed, the monthly counts; viewers read only; the nightly retention."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casefinding import services
from casefinding.models import Candidate, MonthlyCount
from patients.models import Episode
from programmes import rls
from programmes.models import AccessEvent
from tests.casefinding.conftest import candidates_of
from tests.casefinding.samples import FORMATS, Case
from tests.casefinding.test_find_cases import CASES, OLD, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(programme, find):
    find(FORMATS["csv"](CASES))
    return {c.patient_ref: c for c in candidates_of(programme) if c.status == "open"}


def reload(candidate):
    with rls.programme_scope(candidate.programme_id):
        candidate.refresh_from_db()


def inbox(programme):
    return f"/p/{programme.slug}/case-finding/"


def test_the_inbox_lists_open_candidates_oldest_event_first(programme, coordinator, login, found):
    page = login(coordinator).get(inbox(programme)).content.decode()
    order = [page.index(f'id="candidate-{found[ref].pk}"') for ref in ("P1", "P7", "P9")]
    assert order == sorted(order)
    assert "<mark>wedge fracture</mark>" in page
    assert "<code>S72.0</code>" in page
    assert "Accept" in page and "Dismiss candidate" in page


def test_a_viewer_reads_the_inbox_without_the_actions(programme, viewer, login, found):
    client = login(viewer)
    page = client.get(inbox(programme)).content.decode()
    assert f'id="candidate-{found["P1"].pk}"' in page
    assert "Dismiss candidate" not in page and "Read the feed" not in page
    assert client.get(f"{inbox(programme)}{found['P1'].pk}/accept/").status_code == 403
    assert client.post(f"{inbox(programme)}{found['P1'].pk}/dismiss/", {"reason": "declined"}).status_code == 403


def test_accept_opens_the_form_filled_in_and_saving_accepts(programme, coordinator, login, found):
    client = login(coordinator)
    candidate = found["P7"]
    form = client.get(f"{inbox(programme)}{candidate.pk}/accept/")
    page = form.content.decode()
    assert 'value="P7"' in page and f'value="{candidate.event_date.isoformat()}"' in page
    assert '<option value="spine" selected>' in page and '<option value="radiological" selected>' in page
    values = {f: form.context["form"].initial.get(f, "") for f in ("patient_ref", "sex", "birth_date", "fracture_date",
              "fracture_site", "spine_detection", "identification_date")}  # fmt: skip
    response = client.post(f"{inbox(programme)}{candidate.pk}/accept/", values)
    assert response.status_code == 302
    with rls.programme_scope(programme.pk):
        episode = Episode.objects.for_programme(programme).get(patient__patient_ref="P7")
        reload(candidate)
        events = set(AccessEvent.objects.for_programme(programme).values_list("action", flat=True))
    assert response["Location"].endswith(f"/episodes/{episode.pk}/")
    assert (candidate.status, candidate.episode_id, candidate.decided_by) == ("accepted", episode.pk, coordinator)
    assert (episode.fracture_site, episode.spine_detection) == ("spine", "radiological")
    assert AccessEvent.Action.CANDIDATE_ACCEPTED in events
    assert MonthlyCount.objects.get(programme=programme, kind="accepted").count == 1


def test_an_episode_that_breaks_the_rules_leaves_the_candidate_open(programme, coordinator, login, found):
    candidate = found["P1"]
    response = login(coordinator).post(
        f"{inbox(programme)}{candidate.pk}/accept/",
        {"patient_ref": "P1", "sex": "female", "birth_date": OLD, "fracture_date": day(-5), "fracture_site": "hip"},
    )
    assert response.status_code == 400
    assert "after today" in response.content.decode() or "future" in response.content.decode()
    reload(candidate)
    assert candidate.status == "open"
    with rls.programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()


def test_a_decided_candidate_cannot_be_accepted_again(programme, coordinator, lead, login, found):
    candidate = found["P9"]
    services.candidate_dismiss(candidate=candidate, actor=lead, reason="deceased")
    client = login(coordinator)
    response = client.get(f"{inbox(programme)}{candidate.pk}/accept/", follow=True)
    assert "already dismissed" in response.content.decode()
    response = client.post(f"{inbox(programme)}{candidate.pk}/accept/", {"patient_ref": "P9"}, follow=True)
    assert "already dismissed" in response.content.decode()
    with rls.programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).exists()


def test_dismiss_needs_a_reason_and_other_needs_a_note(programme, coordinator, login, found):
    client = login(coordinator)
    candidate = found["P1"]
    client.post(f"{inbox(programme)}{candidate.pk}/dismiss/", {"reason": ""})
    client.post(f"{inbox(programme)}{candidate.pk}/dismiss/", {"reason": "other", "note": " "})
    reload(candidate)
    assert candidate.status == "open"
    client.post(f"{inbox(programme)}{candidate.pk}/dismiss/", {"reason": "other", "note": "Seen at the private clinic"})
    reload(candidate)
    assert (candidate.status, candidate.dismiss_reason, candidate.dismiss_note) == (
        "dismissed",
        "other",
        "Seen at the private clinic",
    )
    page = client.get(inbox(programme)).content.decode()
    assert f'id="candidate-{candidate.pk}"' not in page
    assert "another reason: 1" in page


def test_every_move_goes_through_the_transition_function(programme, coordinator, found):
    candidate = found["P1"]
    for status in Candidate.Status.values:
        if status == "open":
            continue
        with rls.programme_scope(programme.pk):
            Candidate.objects.for_programme(programme).filter(pk=candidate.pk).update(status=status)
        with pytest.raises(ValidationError):
            services.candidate_transition(candidate=candidate, to="dismissed", actor=coordinator, reason="declined")
        with pytest.raises(ValidationError):
            services.candidate_transition(candidate=candidate, to="open", actor=coordinator)


def test_the_upload_form_reads_a_feed(programme, coordinator, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(coordinator)
    feed = SimpleUploadedFile("ed-week.hl7", FORMATS["hl7v2"](CASES), content_type="application/octet-stream")
    response = client.post(inbox(programme), {"file": feed, "format": ""}, follow=True)
    assert "10 records read: 3 new candidates, 1 duplicates, 0 already read, 6 excluded." in response.content.decode()
    broken = SimpleUploadedFile("bad.json", b'{"resourceType": "Patient"}')
    response = client.post(inbox(programme), {"file": broken, "format": ""})
    assert response.status_code == 400
    assert "record 1: not a FHIR Bundle" in response.content.decode()


def test_the_nightly_retention_deletes_what_never_became_an_episode(programme, coordinator, settings, find):
    find(FORMATS["csv"](CASES))
    found = candidates_of(programme)
    kept = found[0]
    with rls.programme_scope(programme.pk):
        Candidate.objects.for_programme(programme).filter(pk=kept.pk).update(status="accepted")
        Candidate.objects.for_programme(programme).update(read_at=timezone.now() - timedelta(days=181))
    find(FORMATS["csv"]([Case("new", "P20", OLD, day(1), ["S72.0"])]))
    assert services.candidates_purge() == len(found) - 1
    remaining = candidates_of(programme)
    assert [c.pk for c in remaining if c.patient_ref != "P20"] == [kept.pk]
    assert MonthlyCount.objects.filter(programme=programme, kind="candidate").exists()
    # The records read stay known: reading the old file again proposes nothing.
    assert find(FORMATS["csv"](CASES))[1]["unchanged"] == len(CASES)


def test_the_access_log_tells_imports_and_decisions_in_words(programme, coordinator, found):
    from programmes.activity import describe

    services.candidate_dismiss(candidate=found["P9"], actor=coordinator, reason="known_elsewhere")
    with rls.programme_scope(programme.pk):
        events = {e.action: describe(e) for e in AccessEvent.objects.for_programme(programme)}
    imported = events[AccessEvent.Action.IMPORTED]
    assert imported.startswith("hospital records read for case finding")
    assert "format CSV" in imported and "no fracture 2" in imported and "hip 1" in imported
    assert events[AccessEvent.Action.CANDIDATE_DISMISSED] == f"reason followed elsewhere; candidate {found['P9'].pk}"
