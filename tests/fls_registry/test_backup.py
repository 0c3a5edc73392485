"""make backup / make restore: a dump restored into a new database holds every episode, audit row
and application; a broken file changes nothing."""

import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from fls_registry.dbroles import as_owner
from patients.models import AuditEntry, Episode
from programmes.rls import programme_scope
from recognition.models import Application

TABLES = {"patients_episode": Episode, "patients_auditentry": AuditEntry, "recognition_application": Application}


def connect(database: str, config=None):
    """The restored database as its owner, on the maintenance path (the tables force row security)."""
    config = config or settings.DATABASE_OWNER
    return psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=database,
        autocommit=True,
        options="-c fls.all_programmes=maintenance",
    )


@pytest.fixture
def target():
    name = f"fls_restore_{uuid.uuid4().hex[:10]}"
    yield name
    with as_owner(), connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_into_a_new_database_holds_every_row(
    transactional_db, programme, coordinator, lead, make_episode, start_application, tmp_path, target
):
    for n in range(3):
        episode = make_episode(programme, coordinator, patient_ref=f"B{n}")
    from patients import services

    services.episode_update(
        episode=episode,
        actor=coordinator,
        values={"falls_assessment": "yes"},
        expected_version=episode.version,
        partial=True,
    )
    start_application(programme, lead)
    with programme_scope(programme.pk):  # the only programme with rows
        expected = {table: model._base_manager.count() for table, model in TABLES.items()}
    assert expected["patients_episode"] == 3 and expected["patients_auditentry"] >= 4
    assert expected["recognition_application"] == 1

    dump = tmp_path / "fls.dump"
    call_command("backup_database", "--output", str(dump))
    assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    call_command("restore_database", str(dump), "--database", target)

    with connect(target) as restored:
        for table, count in expected.items():
            assert restored.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == count, table  # noqa: S608
        refs = {row[0] for row in restored.execute("SELECT patient_ref FROM patients_patient")}
        assert refs == {"B0", "B1", "B2"}
    # The restored database keeps its wall: the application role sees no patient row without a
    # programme, and the policy is still forced.
    app = {**settings.DATABASE_OWNER, "USER": settings.DATABASE_APP_ROLE}
    with connect(target, app) as restored:
        restored.execute("SELECT set_config('fls.all_programmes', '', false)")
        assert restored.execute("SELECT count(*) FROM patients_episode").fetchone()[0] == 0
        assert restored.execute(
            "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'patients_episode'"
        ).fetchone()[0]


def test_a_broken_file_is_refused_and_changes_nothing(transactional_db, programme, tmp_path, target):
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"not a dump")
    with pytest.raises(CommandError):
        call_command("restore_database", str(broken), "--database", target)
    with connect(target) as restored:
        assert restored.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0


def test_a_missing_file_is_named(transactional_db, tmp_path):
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore_database", str(tmp_path / "nowhere.dump"))
