"""The database, not the application's word, decides who takes the cross-programme path: as the
application role, a raw query that sets ``fls.all_programmes`` itself (a bare reason, a made-up
signature, a signature of another transaction) sees no programme's rows."""

import pytest
from django.db import DatabaseError, connection, transaction

from programmes import rls


@pytest.fixture
def two_programmes_with_episodes(programme, other_programme, coordinator, make_member, make_episode):
    make_episode(programme, coordinator)
    make_episode(other_programme, make_member(other_programme, "coordinator", email="them@other.example"))
    return programme, other_programme


def episodes_seen(claim: str) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('fls.all_programmes', %s, true)", [claim])
        cursor.execute("SELECT count(*) FROM patients_episode")
        return cursor.fetchone()[0]


def test_the_tests_connect_as_the_application_role(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone()[0] is False
        cursor.execute("SELECT pg_has_role(current_user, 'fls_owner', 'MEMBER')")
        assert cursor.fetchone()[0] is False


def test_a_raw_query_cannot_open_every_programme(two_programmes_with_episodes):
    for claim in ("attacker", "kpi-engine", "kpi-engine:" + "0" * 64, "maintenance:forged", ":"):
        assert episodes_seen(claim) == 0, claim
    with rls.all_programmes(rls.Reason.KPI_ENGINE), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM patients_episode")
        assert cursor.fetchone()[0] == 2  # the named path, signed by the application, sees both


@pytest.mark.django_db(transaction=True)
def test_a_signature_is_good_for_its_own_transaction_only(two_programmes_with_episodes):
    """Two real transactions (not a test's savepoints): the second cannot reuse the first's value."""
    with transaction.atomic(), connection.cursor() as cursor:
        stolen = rls.signed_claim(cursor, "kpi-engine")
        cursor.execute("SELECT set_config('fls.all_programmes', %s, true)", [stolen])
        cursor.execute("SELECT count(*) FROM patients_episode")
        assert cursor.fetchone()[0] == 2
    assert episodes_seen(stolen) == 0  # replayed in the next transaction


def test_the_key_is_out_of_the_application_roles_reach(db):
    replace = "CREATE OR REPLACE FUNCTION fls_all_programmes() RETURNS boolean LANGUAGE sql AS 'SELECT true'"
    for statement in ("SELECT key FROM fls_private.cross_programme_key", replace):
        refused = pytest.raises(DatabaseError, match="permission denied|must be owner")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


def test_the_database_holds_the_applications_key(db):
    """``migrate`` stored it: the signature the code computes is the one the database checks."""
    from django.conf import settings

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT fls_transaction_nonce()")
        nonce = cursor.fetchone()[0]
        good = f"x:{rls.signature(settings.CROSS_PROGRAMME_KEY, nonce, 'x')}"
        cursor.execute("SELECT set_config('fls.all_programmes', %s, true), fls_all_programmes()", [good])
        assert cursor.fetchone()[1] is True
        bad = f"x:{rls.signature('another key', nonce, 'x')}"
        cursor.execute("SELECT set_config('fls.all_programmes', %s, true), fls_all_programmes()", [bad])
        assert cursor.fetchone()[1] is False
