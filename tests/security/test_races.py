"""Check-then-act writes, run twice at the same moment from two connections: one wins, the other
gets the form's error (or waits and goes second), never an IntegrityError, never a 500."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

ROUNDS = 4
pytestmark = pytest.mark.django_db(transaction=True)


def at_once(*works):
    """Run each ``work()`` on its own thread and database connection, released together; return
    each one's result or the exception it raised."""
    start = threading.Barrier(len(works))

    def run(work):
        from django.db import connection as own

        try:
            start.wait(timeout=30)
            return work()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            return exc
        finally:
            own.close()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        return list(pool.map(run, works))


def test_two_grants_of_the_same_membership(programme, iof_staff):
    from programmes.models import Membership
    from programmes.services.grants import membership_grant
    from tests.factories import UserFactory

    for round_ in range(ROUNDS):
        person = UserFactory(email=f"twice{round_}@hospital.example")

        def grant(role, person=person):
            return membership_grant(actor=iof_staff, user=person, programme=programme, role=role)

        outcomes = at_once(lambda: grant("viewer"), lambda: grant("coordinator"))
        assert not any(isinstance(o, IntegrityError) for o in outcomes), outcomes
        assert sorted(type(o).__name__ for o in outcomes) == ["Membership", "ValidationError"], outcomes
        assert Membership.objects.filter(user=person, programme=programme).count() == 1


def test_two_first_saves_of_a_countrys_calculator_parameters(iof_staff):
    from network.models import CalculatorParameters
    from network.services import calculator_parameters_save
    from tests.network.test_pages import GB_PARAMETERS as values

    for country in ["SE", "NO", "FI", "DK"][:ROUNDS]:

        def save(country=country):
            return calculator_parameters_save(actor=iof_staff, country=country, values=values, sources={}, version=None)

        outcomes = at_once(save, save)
        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
        assert sorted(o.version for o in outcomes) == [1, 2]
        assert CalculatorParameters.objects.filter(country=country).count() == 1


def test_two_copies_of_the_catalogue(iof_staff, catalogue):
    from recognition.models import CatalogueVersion
    from recognition.services import catalogue_copy

    for _ in range(ROUNDS):
        outcomes = at_once(*[lambda: catalogue_copy(catalogue=catalogue, actor=iof_staff)] * 2)
        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
        numbers = list(CatalogueVersion.objects.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))  # no number twice, none skipped


def test_a_lock_is_for_a_transaction(db):
    from programmes import locks

    assert connection.in_atomic_block is False
    with pytest.raises(RuntimeError, match="needs a transaction"):
        locks.serialize("anything")


def test_the_grant_check_is_still_the_forms_error(programme, iof_staff, coordinator):
    from programmes.services.grants import membership_grant

    with pytest.raises(ValidationError, match="already a member"):
        membership_grant(actor=iof_staff, user=coordinator, programme=programme, role="viewer")
