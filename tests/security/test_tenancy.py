"""The tenancy test that grows by itself.

It walks every URL pattern of the project; each one that takes a programme (``programme_slug``)
is checked, for GET and POST, with an anonymous user, a member of another programme, and a member
whose role is not allowed. A new page or endpoint under /p/<slug>/ or /api/v1/programmes/<slug>/
is covered the day it is added, without touching this file.
"""

import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from programmes.models import ALL_ROLES
from programmes.permissions import ProgrammeRoles

PROJECT_APPS = ["accounts", "programmes", "patients", "kpis", "recognition", "mentorship", "network"]
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def programme_routes():
    found = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if "<slug:programme_slug>" in route or "<programme_slug>" in route:
            found.append((route, pattern.name or route))
    return found


def fill(route: str, slug: str) -> str:
    def value(match):
        if match.group("name") == "programme_slug":
            return slug
        return "1" if match.group("converter") == "int" else "x"

    path = PARAM.sub(value, route).lstrip("^").rstrip("$")
    return "/" + path.replace("\\", "")


def view_class(path: str):
    func = resolve(path).func
    return getattr(func, "view_class", None) or getattr(func, "cls", None)


def row_counts():
    counts = {}
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            counts[model.__name__] = model._base_manager.count()
    return counts


ROUTES = programme_routes()


def test_the_walk_finds_the_programme_pages_and_endpoints():
    names = {name for _route, name in ROUTES}
    assert {"home", "team", "settings", "api_programme", "api_programme_members"} <= names


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _r, name in ROUTES])
def test_every_programme_url_uses_the_access_toolkit(route, name):
    assert issubclass(view_class(fill(route, "any-programme")), ProgrammeRoles), (
        f"{route} takes a programme but its view does not inherit the programme access checks"
    )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _r, name in ROUTES])
def test_anonymous_is_denied(route, name, method, programme, lead, login):
    url = fill(route, programme.slug)
    before = row_counts()
    response = getattr(login(None), method)(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert row_counts() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _r, name in ROUTES])
def test_member_of_another_programme_gets_404(
    route, name, method, programme, other_programme, lead, make_member, login
):
    outsider = make_member(other_programme, "lead")
    before = row_counts()
    response = getattr(login(outsider), method)(fill(route, programme.slug))
    assert response.status_code == 404
    assert row_counts() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _r, name in ROUTES])
def test_missing_programme_gets_the_same_404(route, name, method, lead, login):
    response = getattr(login(lead), method)(fill(route, "no-such-programme"))
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _r, name in ROUTES])
def test_member_without_the_role_is_refused(route, name, method, programme, lead, make_member, login):
    url = fill(route, programme.slug)
    refused = sorted(ALL_ROLES - view_class(url).roles_for(method.upper()))
    if not refused:
        pytest.skip(f"every role may {method.upper()} {route}")
    for role in refused:
        member = make_member(programme, role)
        before = row_counts()
        response = getattr(login(member), method)(url)
        assert response.status_code == 403, f"{role} got {response.status_code} on {method.upper()} {url}"
        assert row_counts() == before


# --- Another programme's objects, by their real ids ------------------------------------------

# Which row each object URL names: every route with an id must be listed here (the test below
# fails for one that is not), so a new object URL is tested against another programme's row.
OBJECT_OF_ROUTE = {
    "member_role": "membership",
    "member_remove": "membership",
    "invitation_revoke": "invitation",
    "episode_detail": "episode",
    "episode_update": "episode",
    "episode_delete": "episode",
    "record_contact": "episode",
    "patient_detail": "patient",
    "patient_update": "patient",
    "report": "report",
    "report_pdf": "report",
    "import_job": "import_job",
    "api_episode": "episode",
    "application": "application",
    "application_refresh": "application",
    "application_submit": "application",
    "evidence_add": "application",
    "evidence_remove": "evidence",
    "self_assessment": "application",
    "certificate": "application",
    "day": "training_day",
    "booking_move": "booking",
    "booking_rate": "booking",
}
OBJECT_ROUTES = [(route, name) for route, name in ROUTES if "<int:" in route]


@pytest.fixture
def foreign_objects(other_programme, make_member, make_episode, settings, tmp_path, recognise):
    """One row of each kind, all belonging to another programme."""
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile

    from kpis.models import KpiReport
    from programmes import services
    from programmes.models import Membership
    from recognition import services as recognition_services
    from tests.recognition.conftest import last_full_year_start

    other_lead = make_member(other_programme, "lead")
    episode = make_episode(other_programme, other_lead, patient_ref="FOREIGN-1")
    invitation, _token = services.invitation_create(
        actor=other_lead, programme=other_programme, email="foreign@x.example", role="viewer"
    )
    from patients.models import ImportJob
    from programmes import rls

    with rls.programme_scope(other_programme.pk):
        import_job = ImportJob.objects.create(
            programme=other_programme, requested_by=other_lead, filename="foreign.csv", size=1, content=b"x"
        )
    report = KpiReport.objects.create(
        programme=other_programme,
        requested_by=other_lead,
        kpi_set="iof-2020",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        as_of=date(2026, 1, 1),
        status=KpiReport.Status.READY,
        pdf=b"%PDF-1.4 foreign",
    )
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    application = recognition_services.application_start(
        programme=other_programme, actor=other_lead, period_start=last_full_year_start(), domains=["organisation"]
    )
    evidence = recognition_services.evidence_add(
        application=application,
        actor=other_lead,
        standard=5,
        domain="organisation",
        upload=SimpleUploadedFile("foreign.pdf", b"%PDF-1.4 foreign"),
    )
    # Mentorship: the other programme is a champion with a day, booked by a third (candidate) site.
    from mentorship import services as mentorship_services
    from tests.factories import ProgrammeFactory
    from tests.mentorship.conftest import open_offer, publish_day

    recognise(other_programme, "gold")
    open_offer(other_programme, other_lead)
    training_day = publish_day(other_programme, other_lead)
    third = ProgrammeFactory(status="candidate", languages=["ru"])
    booking = mentorship_services.booking_request(
        training_day=training_day,
        candidate=third,
        actor=make_member(third, "lead"),
        attendee_name="Foreign attendee",
        attendee_email="foreign.attendee@x.example",
    )
    return {
        "training_day": training_day.pk,
        "booking": booking.pk,
        "application": application.pk,
        "evidence": evidence.pk,
        "episode": episode.pk,
        "patient": episode.patient_id,
        "membership": Membership.objects.get(user=other_lead).pk,
        "invitation": invitation.pk,
        "report": report.pk,
        "import_job": import_job.pk,
    }


def test_every_object_url_names_the_row_it_reaches():
    assert {name for _route, name in OBJECT_ROUTES} == set(OBJECT_OF_ROUTE)


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize(("route", "name"), OBJECT_ROUTES, ids=[name for _r, name in OBJECT_ROUTES])
def test_another_programmes_row_answers_404_even_to_this_programmes_lead(
    route, name, method, programme, lead, foreign_objects, login
):
    row_id = foreign_objects[OBJECT_OF_ROUTE[name]]

    def value(match):
        return programme.slug if match.group("name") == "programme_slug" else str(row_id)

    url = "/" + PARAM.sub(value, route)
    before = row_counts()
    response = getattr(login(lead), method)(url)
    # 405: the URL does not take this method at all (POST-only actions), whoever the row belongs to.
    assert response.status_code in (404, 405), f"{method.upper()} {url} answered {response.status_code}"
    assert row_counts() == before
