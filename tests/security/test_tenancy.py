"""The tenancy test that grows by itself.

It walks every URL pattern of the project; each one that takes a programme (``programme_slug``)
is checked, for GET and POST, with an anonymous user, a member of another programme, and a member
whose role is not allowed. A new page or endpoint under /p/<slug>/ or /api/v1/programmes/<slug>/
is covered the day it is added, without touching this file.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from programmes.models import ALL_ROLES
from programmes.permissions import ProgrammeRoles
from tests.writes import rows_written

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


class Walk:
    """One identity's requests over many URLs: every answer and every write is checked, and every
    problem is reported together (one test per identity instead of one per route and method)."""

    def __init__(self, client):
        self.client = client
        self.problems: list[str] = []

    def check(self, method: str, url: str, allowed, **kwargs):
        before = rows_written()
        response = getattr(self.client, method)(url, **kwargs)
        status = response.status_code
        if status not in ((allowed,) if isinstance(allowed, int) else allowed):
            self.problems.append(f"{method.upper()} {url} answered {status}")
        written = rows_written() - before
        if written:
            self.problems.append(f"{method.upper()} {url} wrote {written} rows")
        return response

    def assert_clean(self):
        assert self.problems == [], "\n".join(self.problems)


ROUTES = programme_routes()
METHODS = ["get", "post"]


def test_the_walk_finds_the_programme_pages_and_endpoints():
    names = {name for _route, name in ROUTES}
    assert {"home", "team", "settings", "api_programme", "api_programme_members"} <= names


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _r, name in ROUTES])
def test_every_programme_url_uses_the_access_toolkit(route, name):
    assert issubclass(view_class(fill(route, "any-programme")), ProgrammeRoles), (
        f"{route} takes a programme but its view does not inherit the programme access checks"
    )


def test_the_write_counter_sees_a_write_the_transaction_undid(programme, db):
    from django.db import transaction

    from programmes.models import Programme

    before = rows_written()
    with transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(name="Renamed")
        transaction.set_rollback(True)
    assert rows_written() == before + 1


def test_anonymous_is_denied(programme, lead, login):
    walk = Walk(login(None))
    for route, _name in ROUTES:
        url = fill(route, programme.slug)
        for method in METHODS:
            response = walk.check(method, url, (401, 403) if url.startswith("/api/") else 302)
            location = response.get("Location", "")
            if (
                not url.startswith("/api/")
                and response.status_code == 302
                and not location.startswith("/accounts/login/")
            ):
                walk.problems.append(f"{method.upper()} {url} sent to {location}")
    walk.assert_clean()


def test_member_of_another_programme_gets_404(programme, other_programme, lead, make_member, login):
    walk = Walk(login(make_member(other_programme, "lead")))
    for route, _name in ROUTES:
        for method in METHODS:
            walk.check(method, fill(route, programme.slug), 404)
    walk.assert_clean()


def test_missing_programme_gets_the_same_404(lead, login):
    walk = Walk(login(lead))
    for route, _name in ROUTES:
        for method in METHODS:
            walk.check(method, fill(route, "no-such-programme"), 404)
    walk.assert_clean()


def test_member_without_the_role_is_refused(programme, lead, make_member, login):
    members = {role: login(make_member(programme, role)) for role in sorted(ALL_ROLES)}
    problems, checked = [], 0
    for route, _name in ROUTES:
        url = fill(route, programme.slug)
        for method in METHODS:
            for role in sorted(ALL_ROLES - view_class(url).roles_for(method.upper())):
                walk = Walk(members[role])
                walk.check(method, url, 403)
                problems += [f"{role}: {problem}" for problem in walk.problems]
                checked += 1
    assert checked > 0
    assert problems == [], "\n".join(problems)


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
    "accept": "candidate",
    "dismiss": "candidate",
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
    from casefinding.services import cases_find
    from tests.casefinding.samples import Case, csv_feed

    cases_find(
        programme=other_programme, content=csv_feed([Case("f1", "FOREIGN-2", "1940-01-01", "2026-01-05", ["S72.0"])])
    )
    with rls.programme_scope(other_programme.pk):
        from casefinding.models import Candidate

        candidate = Candidate.objects.for_programme(other_programme).get()
    return {
        "candidate": candidate.pk,
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


def test_another_programmes_row_answers_404_even_to_this_programmes_lead(programme, lead, foreign_objects, login):
    walk = Walk(login(lead))
    for route, name in OBJECT_ROUTES:
        row_id = foreign_objects[OBJECT_OF_ROUTE[name]]

        def value(match, row_id=row_id):
            return programme.slug if match.group("name") == "programme_slug" else str(row_id)

        url = "/" + PARAM.sub(value, route)
        for method in ("get", "post", "delete"):
            # 405: the URL does not take this method at all (POST-only actions), whoever the row belongs to.
            walk.check(method, url, (404, 405))
    walk.assert_clean()
