"""The records of who did what cannot be rewritten, by any connection the application has.

The list is ``programmes.append_only.tables()`` (the models saying ``APPEND_ONLY``). Here: the
database holds exactly its triggers; the application role (even inside the row's own programme
scope) is refused every UPDATE and DELETE of each table (TRUNCATE is not granted to it:
fls_registry/dbroles.py); a deleted account's reference may only be cleared; and a model that
looks like a record of events is on the list.
"""

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from programmes import append_only, rls

# What each table's rows get rewritten with: every kind of column a forger would touch.
REWRITES = {
    "programmes_accessevent": [
        "detail = '{}'::jsonb",
        "created_at = created_at - interval '1 day'",
        "action = 'viewed'",
    ],
    "patients_auditentry": [
        "changes = '{}'::jsonb",
        "at = at - interval '1 day'",
        "reason = 'tidied'",
        "entity_id = entity_id + 1",
    ],
    "recognition_transition": ["comment = 'rewritten'", "to_state = 'recognised'", "at = at - interval '1 day'"],
    "mentorship_bookingevent": ["reason = 'rewritten'", "to_status = 'confirmed'", "side = 'mentor'"],
}
EVENT_NAMES = re.compile(r"(Event|Transition|AuditEntry|Log|History|Entry)$")


@pytest.fixture
def one_row_each(programme, coordinator, lead, make_episode, start_application, day, book, every_programme):
    """At least one row in every append-only table, each with an actor."""
    from programmes.models import AccessEvent
    from programmes.services import access_event_record

    make_episode(programme, coordinator)  # the audit trail's "created" row
    access_event_record(programme=programme, actor=coordinator, action=AccessEvent.Action.VIEWED, what="x")
    start_application(programme, lead)  # the application's first transition
    book(day)  # the booking's first event
    return programme


def count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a table name from the list
        return cursor.fetchone()[0]


def refused(statement: str) -> None:
    expected = pytest.raises(DatabaseError, match="append-only|must be owner|permission denied")
    with expected, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_the_database_holds_exactly_the_listed_triggers(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, t.tgname, p.proname, t.tgargs
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE NOT t.tgisinternal AND (t.tgname LIKE '%%append_only' OR p.proname LIKE '%%append_only')
            """
        )
        found = {
            table: (name, function, tuple(arg for arg in bytes(args).decode().split("\x00") if arg))
            for table, name, function, args in cursor.fetchall()
        }
    assert found == {
        table: (append_only.trigger_name(table), append_only.FUNCTION, clearable)
        for table, clearable in append_only.tables().items()
    }


def test_the_application_role_cannot_rewrite_or_delete_any_audit_row(one_row_each):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = current_user AND NOT rolsuper AND NOT rolbypassrls"
        )
        assert cursor.fetchone(), "the tests connect as the application role"
    assert set(REWRITES) == set(append_only.tables())
    tables = append_only.tables()
    for table in tables:
        before = count(table)
        assert before > 0, table
        for change in REWRITES[table]:
            refused(f"UPDATE {table} SET {change}")
        for column in tables[table]:
            refused(f"UPDATE {table} SET {column} = COALESCE({column}, 0) + 1")
        refused(f"DELETE FROM {table}")
        assert count(table) == before, table


def test_inside_its_own_programme_scope_the_audit_trail_is_still_refused(programme, coordinator, make_episode):
    """Row-level security lets a programme's transaction write its own rows; the trigger still says no."""
    make_episode(programme, coordinator)
    with rls.programme_scope(programme.pk):
        before = count("patients_auditentry")
        assert before > 0
        refused("UPDATE patients_auditentry SET changes = '{}'::jsonb")
        refused("DELETE FROM patients_auditentry")
        assert count("patients_auditentry") == before


def test_deleting_an_account_clears_its_reference_and_keeps_the_rows(
    programme, make_member, make_episode, every_programme
):
    from patients.models import AuditEntry

    person = make_member(programme, "coordinator", email="leaver@hospital.example")
    make_episode(programme, person)
    rows = AuditEntry.objects.all_programmes().filter(actor=person).count()
    assert rows > 0
    get_user_model().objects.filter(pk=person.pk).delete()
    assert AuditEntry.objects.all_programmes().filter(actor__isnull=True).count() == rows


def test_every_model_that_records_events_is_on_the_list():
    """A new log (a class named ...Event, ...Transition, ...Log, ...History, or a docstring that says
    append-only) must say ``APPEND_ONLY`` and get the trigger in its migration."""
    looks_like_a_record = {
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label
        in {"accounts", "programmes", "patients", "casefinding", "kpis", "recognition", "mentorship", "network"}
        and (EVENT_NAMES.search(model.__name__) or "append-only" in (model.__doc__ or "").lower())
    }
    assert looks_like_a_record <= set(append_only.tables()), looks_like_a_record - set(append_only.tables())
