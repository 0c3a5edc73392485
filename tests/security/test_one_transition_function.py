"""Every state machine has one transition function, used by every move, the registry's own too.

For each machine: every move of its table works through the function with someone allowed to
make it, every other (from, to) is refused, and nothing outside the function writes the status
field (read from the source).
"""

import ast
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import today_is
from tests.recognition import conftest as recognition_fixtures

submitted = recognition_fixtures.submitted  # fixtures of tests/recognition, used here too
under_review = recognition_fixtures.under_review

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "programmes",
    "patients",
    "casefinding",
    "kpis",
    "recognition",
    "mentorship",
    "network",
    "fls_registry",
)

# Where a status or state field may be written: each machine's one function, and the writers of
# fields that are not a machine of moves (a report's or an import job's progress, a programme's
# status that IOF staff set with its other details). A new writer fails here until it is one of these.
MACHINES = {
    ("recognition/services.py", "application_transition"),
    ("mentorship/services.py", "booking_transition"),
    ("mentorship/services.py", "seat_proposal_transition"),
    ("mentorship/services.py", "_join_request_move"),
    ("network/services.py", "resource_transition"),
    ("casefinding/services.py", "candidate_transition"),
}
NOT_MACHINES = {
    ("kpis/reports.py", "report_render"),
    ("patients/import_jobs.py", "import_job_run"),
    ("patients/import_jobs.py", "_finish"),
}
FIELDS = {"status", "state"}


def status_writers() -> set[tuple[str, str]]:
    """(file, function) of every assignment ``x.status = …`` / ``x.state = …`` and every
    ``.update(status=…)`` / ``_bump(…, state=…)`` in the apps' code (migrations and tests aside)."""
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef):
                    continue
                for node in ast.walk(function):
                    writes = (
                        isinstance(node, ast.Assign)
                        and any(isinstance(t, ast.Attribute) and t.attr in FIELDS for t in node.targets)
                    ) or (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute | ast.Name)
                        and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"update", "_bump"}
                        and any(k.arg in FIELDS for k in node.keywords)
                        # A template's context is not a row.
                        and not (
                            isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "context"
                        )
                    )
                    if writes:
                        found.add((str(path.relative_to(ROOT)), function.name))
    return found


def test_nothing_outside_the_transition_functions_writes_a_status():
    writers = status_writers()
    assert writers >= MACHINES, MACHINES - writers  # the check finds the functions it allows
    assert writers <= MACHINES | NOT_MACHINES, writers - MACHINES - NOT_MACHINES


def refused_pairs(states, table):
    return [(a, b) for a, b in itertools.product(states, states) if (a, b) not in table]


# --- Recognition applications -------------------------------------------------------------------


def test_every_application_move_works_through_the_function_and_no_other(
    programme, lead, iof_staff, start_application, every_programme
):
    from recognition import services
    from recognition.models import Application, State
    from recognition.permissions import RC

    application = start_application(programme, lead)
    actors = {RC.APPLY: lead, RC.MANAGE: iof_staff, services.SYSTEM: None}
    for (from_state, to), (who, needs_comment) in services.TRANSITIONS.items():
        for capability in who:
            Application.objects.all_programmes().filter(pk=application.pk).update(state=from_state)
            moved = services.application_transition(
                application=application, to=to, actor=actors[capability], reason="why" if needs_comment else ""
            )
            assert moved.state == to
            last = moved.transitions.last()
            assert (last.from_state, last.to_state, last.actor) == (from_state, to, actors[capability])
        # Nobody else: the system cannot make a person's move, a person cannot make the system's.
        for capability in set(actors) - who:
            Application.objects.all_programmes().filter(pk=application.pk).update(state=from_state)
            with pytest.raises(PermissionDenied):
                services.application_transition(application=application, to=to, actor=actors[capability], reason="why")
    for from_state, to in refused_pairs(State.values, services.TRANSITIONS):
        Application.objects.all_programmes().filter(pk=application.pk).update(state=from_state)
        with pytest.raises(ValidationError):
            services.application_transition(application=application, to=to, actor=iof_staff, reason="why")


def test_the_automatic_move_after_the_second_review_names_no_reviewer(under_review, reviewers, every_programme):
    from tests.recognition.conftest import score_all

    for reviewer in reviewers:
        score_all(under_review, reviewer, lambda standard, domain: 2)
    last = under_review.transitions.last()
    assert last.actor is None
    assert {t.actor_id for t in under_review.transitions.all()}.isdisjoint({r.pk for r in reviewers})


# --- Bookings -----------------------------------------------------------------------------------


def test_every_booking_move_works_through_the_function_and_no_other(day, book, mentor, mentee):
    from mentorship import services
    from mentorship.models import Booking, BookingStatus
    from mentorship.permissions import MENTEE, MENTOR, REGISTRY

    booking = book(day)
    actors = {MENTOR: mentor, MENTEE: mentee, REGISTRY: None}
    for (from_status, to), rule in services.TRANSITIONS.items():
        when = day.date + timedelta(days=1) if rule.when == "after" else day.date - timedelta(days=1)
        for side in rule.sides:
            Booking.objects.filter(pk=booking.pk).update(status=from_status)
            with today_is(when):
                moved = services.booking_transition(
                    booking=booking, to=to, actor=actors[side], reason="why", side=None if side == REGISTRY else side
                )
            assert moved.status == to
            event = moved.events.last()
            assert (event.from_status, event.to_status, event.side) == (from_status, to, side)
    for from_status, to in refused_pairs(BookingStatus.values, services.TRANSITIONS):
        Booking.objects.filter(pk=booking.pk).update(status=from_status)
        with pytest.raises(ValidationError):
            services.booking_transition(booking=booking, to=to, actor=mentor, reason="why")


def test_a_freed_seat_promotes_through_the_function(day, book, mentor, mentee):
    from mentorship import services
    from mentorship.models import BookingStatus

    held = [book(day, n) for n in range(1, day.seats + 1)]
    waiting = book(day, 99)
    assert waiting.status == BookingStatus.WAITING
    services.booking_transition(booking=held[0], to=BookingStatus.CANCELLED, actor=mentee, reason="ill")
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.REQUESTED
    event = waiting.events.last()
    assert (event.from_status, event.to_status, event.actor, event.side) == ("waiting", "requested", None, "registry")


# --- Seat proposals and requests to join -----------------------------------------------------------


def test_seat_proposal_moves_go_through_the_function_with_an_access_row(day, candidate, iof_staff, every_programme):
    from mentorship import services
    from mentorship.models import SeatProposal
    from programmes.models import AccessEvent

    proposal = SeatProposal.objects.create(candidate=candidate, training_day=day, score=50, proposed_by=iof_staff)
    states = SeatProposal.Status.values
    for from_status, to in refused_pairs(states, services.PROPOSAL_TRANSITIONS):
        SeatProposal.objects.filter(pk=proposal.pk).update(status=from_status)
        with pytest.raises(ValidationError):
            services.seat_proposal_transition(proposal=proposal, to=to, actor=iof_staff)
    SeatProposal.objects.filter(pk=proposal.pk).update(status=SeatProposal.Status.OPEN)
    with pytest.raises(PermissionDenied):  # only the registry books a proposal (when the day is booked)
        services.seat_proposal_transition(proposal=proposal, to=SeatProposal.Status.BOOKED, actor=iof_staff)
    services.seat_proposal_withdraw(proposal=proposal, actor=iof_staff)
    row = AccessEvent.objects.all_programmes().filter(action=AccessEvent.Action.SEAT_PROPOSAL_MOVED).get()
    assert (row.actor, row.programme, row.detail["to"]) == (iof_staff, candidate, "withdrawn")


def test_a_request_to_join_is_decided_once(iof_staff, every_programme):
    from mentorship import services
    from mentorship.models import JoinRequest

    request = JoinRequest.objects.create(
        name="Pskov FLS", institution="Pskov Hospital", country="RU", city="Pskov", latitude="57.8",
        longitude="28.3", languages=["ru"], expected_yearly_fractures=300, contact_name="Dr P", contact_email="p@pskov.example",
    )  # fmt: skip
    services.join_request_decline(join_request=request, actor=iof_staff, comment="Not yet")
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.DECLINED
    with pytest.raises((ValidationError, PermissionDenied)):
        services.join_request_decline(join_request=request, actor=iof_staff, comment="Again")


# --- Library resources ------------------------------------------------------------------------------


def test_every_resource_move_works_through_the_function_with_an_actor_row(iof_staff, every_programme):
    from network import services
    from network.models import Resource, ResourceStatus
    from programmes.models import AccessEvent

    resource = Resource.objects.create(
        title="Guide",
        summary="",
        url="https://example.org/guide",
        status=ResourceStatus.PROPOSED,
        languages=["en"],
        last_reviewed="2026-11-01",
    )
    for (from_status, to), _rule in services.TRANSITIONS.items():
        Resource.objects.filter(pk=resource.pk).update(status=from_status)
        moved = services.resource_transition(resource=resource, to=to, actor=iof_staff, reason="why")
        assert moved.status == to
        row = (
            AccessEvent.objects.all_programmes().filter(action=AccessEvent.Action.RESOURCE_MOVED).order_by("pk").last()
        )
        assert (row.actor, row.detail["from"], row.detail["to"]) == (iof_staff, from_status, to)
    for from_status, to in refused_pairs(ResourceStatus.values, services.TRANSITIONS):
        Resource.objects.filter(pk=resource.pk).update(status=from_status)
        with pytest.raises(ValidationError):
            services.resource_transition(resource=resource, to=to, actor=iof_staff, reason="why")
