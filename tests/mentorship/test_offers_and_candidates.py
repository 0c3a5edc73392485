"""Champion offers (open, paused, withdrawn) and candidate sites from requests to join."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mentorship import selectors, services
from mentorship.models import CandidateProfile, JoinRequest
from programmes.models import AccessEvent, Invitation, Programme
from programmes.rls import programme_scope
from tests.mentorship.conftest import days_from_today, open_offer, publish_day


def test_an_unrecognised_programme_cannot_open_an_offer(programme, lead):
    with pytest.raises(ValidationError, match="valid silver or gold recognition"):
        open_offer(programme, lead)
    assert selectors.offer_status(programme) == selectors.OfferStatus.NONE


def test_only_the_lead_opens_the_offer(programme, lead, recognise, make_member):
    recognise(programme, "gold")
    with pytest.raises(PermissionDenied):
        open_offer(programme, make_member(programme, "coordinator"))


def test_the_offer_is_audited(champion, lead):
    with programme_scope(champion.pk):
        event = AccessEvent.objects.for_programme(champion).get(action="champion_offer_changed")
    assert (event.actor, event.detail) == (lead, {"is_open": True})


def test_the_offer_pauses_when_the_recognition_lapses_and_is_shown_so(champion, login):
    from recognition.models import Recognition

    Recognition.objects.for_programme(champion).update(valid_until=days_from_today(-1))
    assert selectors.offer_status(champion) == selectors.OfferStatus.PAUSED
    page = login(None).get(f"/mentorship/champions/{champion.slug}/").content.decode()
    assert "Paused:" in page
    assert "<strong>paused</strong>" in login(None).get("/mentorship/champions/").content.decode()


def test_a_paused_champion_publishes_no_day(champion, lead):
    from recognition.models import Recognition

    Recognition.objects.for_programme(champion).update(revoked_at=timezone.now())
    with pytest.raises(ValidationError, match="open offer"):
        publish_day(champion, lead)


def test_a_withdrawn_offer_leaves_the_public_list(champion, lead, login):
    services.champion_offer_save(
        programme=champion,
        actor=lead,
        offer=services.OfferInput(
            is_open=False, languages=["ru"], topics=[], contact_name="X", contact_email="x@x.example"
        ),
    )
    assert selectors.offer_status(champion) == selectors.OfferStatus.WITHDRAWN
    assert login(None).get(f"/mentorship/champions/{champion.slug}/").status_code == 404
    assert champion.name not in login(None).get("/mentorship/champions/").content.decode()


def test_a_stale_offer_form_is_refused(champion, lead):
    offer = selectors.offer_of(champion)
    stale = services.OfferInput(
        is_open=True,
        languages=["ru"],
        topics=[],
        contact_name="X",
        contact_email="x@x.example",
        version=offer.version - 1,
    )
    with pytest.raises(services.EditConflict):
        services.champion_offer_save(programme=champion, actor=lead, offer=stale)


def test_the_public_profile_shows_programme_facts_only(champion, day, book, login):
    book(day)
    page = login(None).get(f"/mentorship/champions/{champion.slug}/").content.decode()
    assert "Come and see our case-finding round." in page
    assert "attendee1@kazan.example" not in page and "Attendee 1" not in page
    assert "mentor@hospital.example" not in page
    assert "shown from 3 ratings" in page


# --- Requests to join --------------------------------------------------------------------------


JOIN = {
    "name": "FLS Tula (in set-up)",
    "institution": "Tula Regional Hospital",
    "country": "RU",
    "city": "Tula",
    "latitude": Decimal("54.1931"),
    "longitude": Decimal("37.6173"),
    "languages": ["ru"],
    "care_setting": "inpatient",
    "expected_yearly_fractures": 700,
    "accepts_interpretation": False,
    "contact_name": "Dr Pavel Orlov",
    "contact_email": "Pavel.Orlov@tula.example",
}


@pytest.fixture
def join_request(db, iof_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.join_request_submit(**JOIN)


def test_a_request_tells_iof_staff(join_request, iof_staff):
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([iof_staff.email], "Request to join the mentorship programme: FLS Tula (in set-up)")
    ]


def test_approval_creates_a_candidate_site_and_invites_its_contact_as_lead(join_request, iof_staff):
    done = services.join_request_approve(join_request=join_request, actor=iof_staff)
    programme = done.programme
    assert (programme.slug, programme.status, programme.country.code, programme.languages) == (
        "tula-candidate",
        "candidate",
        "RU",
        ["ru"],
    )
    assert programme.latitude == Decimal("54.193100")
    profile = CandidateProfile.objects.get(programme=programme)
    assert (profile.expected_yearly_fractures, profile.contact_email) == (700, "pavel.orlov@tula.example")
    invitation = Invitation.objects.get(programme=programme)
    assert (invitation.email, invitation.role) == ("pavel.orlov@tula.example", "lead")
    with programme_scope(programme.pk):
        logged = set(AccessEvent.objects.for_programme(programme).values_list("action", flat=True))
    assert logged == {
        "programme_created",
        "invitation_sent",
        "join_request_approved",
    }


def test_a_request_is_decided_once(join_request, iof_staff):
    services.join_request_approve(join_request=join_request, actor=iof_staff)
    with pytest.raises(ValidationError, match="already approved"):
        services.join_request_decline(join_request=join_request, actor=iof_staff, comment="no")
    assert Programme.objects.filter(status="candidate").count() == 1


def test_declining_needs_a_reason_and_tells_the_contact(join_request, iof_staff, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError, match="Say why"):
        services.join_request_decline(join_request=join_request, actor=iof_staff, comment=" ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.join_request_decline(
            join_request=join_request, actor=iof_staff, comment="Outside the programme's area."
        )
    assert mail.outbox[0].to == ["pavel.orlov@tula.example"]
    assert "Outside the programme's area." in mail.outbox[0].body


def test_only_iof_staff_decide(join_request, lead):
    with pytest.raises(PermissionDenied):
        services.join_request_approve(join_request=join_request, actor=lead)
    assert JoinRequest.objects.get().status == "pending"


def test_the_public_form_says_what_is_wrong_and_where(login, db):
    response = login(None).post("/mentorship/join/", {**JOIN, "latitude": "95", "languages": "russian!"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 90." in page
    assert "russian! is not a language the registry knows: choose the languages from the list." in page
    assert JoinRequest.objects.count() == 0


def test_the_public_form_sends_a_request(login, db):
    response = login(None).post("/mentorship/join/", {**JOIN, "languages": "ru; en"})
    assert response.status_code == 200
    assert JoinRequest.objects.get().languages == ["ru", "en"]


def test_iof_staff_approve_from_their_desk(join_request, iof_staff, login):
    response = login(iof_staff).post("/mentorship/staff/requests/", {"request": join_request.pk, "approve": "1"})
    assert response.status_code == 302
    assert JoinRequest.objects.get().status == "approved"


@pytest.mark.parametrize("who", ["anonymous", "lead", "reviewer"])
def test_nobody_else_reaches_the_staff_desk(join_request, lead, reviewers, login, who):
    user = {"anonymous": None, "lead": lead, "reviewer": reviewers[0]}[who]
    for url in ("/mentorship/staff/requests/", "/mentorship/staff/matching/"):
        got = login(user).get(url)
        posted = login(user).post(url, {"request": join_request.pk, "approve": "1"})
        expected = 302 if user is None else 403
        assert (got.status_code, posted.status_code) == (expected, expected)
    assert JoinRequest.objects.get().status == "pending"


def test_candidate_profile_is_the_leads(candidate, mentee, make_member):
    with pytest.raises(PermissionDenied):
        services.candidate_profile_save(
            programme=candidate,
            actor=make_member(candidate, "coordinator"),
            expected_yearly_fractures=1,
            accepts_interpretation=True,
            contact_name="x",
            contact_email="x@x.example",
        )
    profile = services.candidate_profile_save(
        programme=candidate,
        actor=mentee,
        expected_yearly_fractures=650,
        accepts_interpretation=True,
        contact_name="Dr Aidar Khasanov",
        contact_email="kazan.lead@hospital.example",
    )
    assert profile.accepts_interpretation is True


def test_the_public_request_to_join_is_limited_per_address(login, iof_staff, django_capture_on_commit_callbacks):
    from django.conf import settings

    from mentorship.models import JoinRequest

    limit, _window = settings.FAILURE_LIMITS["join_request"]
    client = login(None)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(limit):
            sent = client.post("/mentorship/join/", {**JOIN, "name": f"FLS {n}"}, REMOTE_ADDR="203.0.113.5")
            assert sent.status_code == 200, n
        refused = client.post("/mentorship/join/", {**JOIN, "name": "FLS spam"}, REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429
    assert "Too many requests to join" in refused.content.decode()
    assert JoinRequest.objects.count() == limit
    assert len([m for m in mail.outbox if iof_staff.email in m.to]) == limit
    other = client.post("/mentorship/join/", {**JOIN, "name": "FLS elsewhere"}, REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 200


def test_a_name_with_a_line_break_is_refused_and_a_subject_is_one_line(login, iof_staff):
    from programmes.inputs import one_line

    response = login(None).post("/mentorship/join/", {**JOIN, "name": "FLS Tula\r\nBcc: all@example.org"})
    assert response.status_code == 400
    assert "one line" in response.content.decode()
    assert one_line("A\r\nBcc: x\u2028y") == "A Bcc: x y"


def test_a_paused_champion_shows_no_contact_on_its_public_page(champion, login):
    from mentorship.models import ChampionOffer
    from recognition.models import Recognition

    contact = ChampionOffer.objects.get(programme=champion).contact_name
    assert contact in login(None).get(f"/mentorship/champions/{champion.slug}/").content.decode()
    Recognition.objects.all_programmes().filter(programme=champion).update(level="bronze")  # now paused
    page = login(None).get(f"/mentorship/champions/{champion.slug}/").content.decode()
    assert "Paused:" in page
    assert contact not in page


def test_the_champions_page_asks_the_same_queries_however_many_champions(
    recognise, make_member, login, django_assert_max_num_queries
):
    from tests.factories import ProgrammeFactory

    def add_champions(count, level="gold"):
        for _ in range(count):
            site = ProgrammeFactory()
            recognise(site, level)
            open_offer(site, make_member(site, "lead"))

    add_champions(2)
    client = login(None)
    client.get("/mentorship/champions/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        client.get("/mentorship/champions/")
    add_champions(5)
    lapsed = ProgrammeFactory()
    recognise(lapsed, "gold")
    open_offer(lapsed, make_member(lapsed, "lead"))
    from recognition.models import Recognition

    Recognition.objects.for_programme(lapsed).update(valid_until=days_from_today(-1))
    with django_assert_max_num_queries(len(two.captured_queries)):
        page = client.get("/mentorship/champions/").content.decode()
    assert page.count("<strong>paused</strong>") == 1
    assert lapsed.name in page
