"""Isolation in the database itself: row-level security on every table of patient-level rows.

Every test of the suite queries as the application role does, without the cross-programme path
(only tests that ask for the ``every_programme`` fixture have it): here, a query that forgot its
programme filter, a transaction that set nothing, a write into another programme, a service that
forgot its scope, and each path that must set the scope (request, API, service, importer, Celery
task, management command, the KPI engine's named path).
"""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction

from casefinding.models import Candidate, SeenRecord
from kpis import services as kpi_services
from kpis.models import KpiResult
from patients.importer import dict_rows, episodes_import
from patients.models import AuditEntry, Episode, ImportJob, Patient
from programmes import rls
from programmes.models import AccessEvent
from tests.patients.conftest import valid_values

TABLES = {
    "patients_patient": Patient,
    "patients_episode": Episode,
    "patients_auditentry": AuditEntry,
    "programmes_accessevent": AccessEvent,
    "patients_importjob": ImportJob,
    "casefinding_candidate": Candidate,
    "casefinding_seenrecord": SeenRecord,
}


def raw_count(table: str) -> int:
    """Every row of ``table`` the database shows: raw SQL with no programme filter at all."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a fixed table name
        return cursor.fetchone()[0]


def programme_ids_seen(table: str) -> set:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT programme_id FROM {table}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def two_programmes(programme, other_programme, make_episode, coordinator):
    make_episode(programme, patient_ref="MINE-1")
    make_episode(programme, patient_ref="MINE-2")
    make_episode(other_programme, patient_ref="THEIRS-1")
    from programmes.services import access_event_record

    access_event_record(programme=programme, actor=coordinator, action=AccessEvent.Action.VIEWED, what="x")
    access_event_record(programme=other_programme, actor=None, action=AccessEvent.Action.VIEWED, what="x")
    for owner in (programme, other_programme):
        with rls.programme_scope(owner.pk):
            ImportJob.objects.create(programme=owner, filename="f.csv", size=1, content=b"patient rows")
    from casefinding.services import cases_find
    from tests.casefinding.samples import Case, csv_feed

    for owner in (programme, other_programme):
        cases_find(programme=owner, content=csv_feed([Case("c1", "CASE-1", "1940-01-01", "2026-01-05", ["S72.0"])]))
    return programme, other_programme


def test_every_patient_level_table_is_forced_under_the_policy(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)",
            [sorted(rls.protected_tables())],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = 'programme_isolation'")
        policies = {row[0] for row in cursor.fetchall()}
    assert flags == dict.fromkeys(rls.protected_tables(), (True, True))
    assert policies == rls.protected_tables() == set(TABLES)


def test_every_table_with_a_patient_column_is_protected(db):
    """A table added later that refers to patients or episodes must join the policy."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT cl.relname FROM pg_constraint c
            JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class ref ON ref.oid = c.confrelid
            WHERE c.contype = 'f' AND ref.relname IN ('patients_patient', 'patients_episode')
            """
        )
        referring = {row[0] for row in cursor.fetchall()}
    assert referring <= rls.protected_tables(), referring - rls.protected_tables()


def test_the_application_role_is_neither_owner_nor_superuser_nor_bypassing(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relname = ANY(%s) AND pg_get_userbyid(relowner) = current_user",
            [sorted(rls.protected_tables())],
        )
        assert cursor.fetchone()[0] == 0
        with pytest.raises(ProgrammingError, match="must be owner"), transaction.atomic():
            cursor.execute("ALTER TABLE patients_episode DISABLE ROW LEVEL SECURITY")


def test_the_policy_reads_its_settings_once_per_statement_not_per_row(two_programmes):
    """Each setting in a scalar subquery (an InitPlan): no row is filtered by calling current_setting."""
    mine, _theirs = two_programmes
    with rls.programme_scope(mine.pk), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"EXPLAIN (COSTS OFF) SELECT count(*) FROM {table}")  # noqa: S608 - a fixed name
            plan = "\n".join(row[0] for row in cursor.fetchall())
            filters = [line for line in plan.splitlines() if "Filter:" in line or "Cond:" in line]
            assert "InitPlan" in plan, (table, plan)
            assert not any("current_setting" in line for line in filters), (table, plan)
            written = "".join((ROOT / path).read_text() for path in MIGRATIONS_UPDATING_THE_POLICY)
            # The migrations wrote what the code says: the update of the tables that were there, or
            # the code's own policy_sql in the migration of a table created after it.
            assert rls.policy_update_sql(table, global_rows=table == "programmes_accessevent") in written or (
                f'policy_sql("{table}")' in written
            ), table


ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_UPDATING_THE_POLICY = (
    "programmes/migrations/0010_cross_programme_path_signed.py",
    "casefinding/migrations/0001_initial.py",
)


def test_a_forgotten_setting_returns_nothing_rather_than_everything(two_programmes):
    for table, model in TABLES.items():
        if table == "programmes_accessevent":
            assert programme_ids_seen(table) <= {None}, "only global events show without a programme"
        else:
            assert raw_count(table) == 0, table
            assert model.objects.all_programmes().count() == 0


def test_a_forgotten_programme_filter_returns_only_the_scoped_programme(two_programmes):
    mine, theirs = two_programmes
    with rls.programme_scope(mine.pk):
        for table in TABLES:
            assert programme_ids_seen(table) - {None} == {mine.pk}, table
        # The ORM without its filter (the mistake the manager's guard exists for) and raw SQL.
        assert sorted(Patient.objects.all_programmes().values_list("patient_ref", flat=True)) == ["MINE-1", "MINE-2"]
        assert raw_count("patients_episode") == 2
        assert not Episode.objects.all_programmes().filter(programme=theirs).exists()
    with rls.programme_scope(theirs.pk):
        assert raw_count("patients_episode") == 1


def test_no_write_reaches_another_programme(two_programmes):
    mine, theirs = two_programmes
    with rls.all_programmes(rls.Reason.ADMINISTRATION):
        their_episode = Episode.objects.for_programme(theirs).get()
        their_patient = their_episode.patient
    with rls.programme_scope(mine.pk), connection.cursor() as cursor:
        cursor.execute("UPDATE patients_episode SET version = version + 1 WHERE id = %s", [their_episode.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM patients_episode WHERE programme_id = %s", [theirs.pk])
        assert cursor.rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "UPDATE patients_patient SET programme_id = %s WHERE programme_id = %s", [theirs.pk, mine.pk]
            )
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            AuditEntry.objects.create(
                programme=theirs,
                entity="patient",
                entity_id=their_patient.pk,
                patient_pk=their_patient.pk,
                action="update",
                source="form",
                changes={},
            )
    with rls.all_programmes(rls.Reason.ADMINISTRATION):
        assert Episode.objects.for_programme(theirs).get().version == their_episode.version


def test_the_scope_ends_with_its_transaction(two_programmes):
    mine, _ = two_programmes
    with rls.programme_scope(mine.pk):
        assert rls.current() == (mine.pk, "")
    assert rls.current() == (None, "")
    assert raw_count("patients_episode") == 0


def test_one_transaction_cannot_switch_programmes(two_programmes):
    mine, theirs = two_programmes
    with rls.programme_scope(mine.pk):
        with rls.programme_scope(mine.pk):  # the same programme nests
            assert raw_count("patients_episode") == 2
        with pytest.raises(rls.ScopeError, match=f"scoped to programme {mine.pk}"), rls.programme_scope(theirs.pk):
            pass


def test_activate_outside_a_request_or_transaction_is_refused(db, programme):
    with pytest.raises(rls.ScopeError, match="needs a transaction"):
        # A test's db fixture wraps a transaction: step outside it the way a command would run.
        connection.in_atomic_block, saved = False, connection.in_atomic_block
        try:
            rls.activate(programme.pk)
        finally:
            connection.in_atomic_block = saved


def test_a_test_starts_without_any_programme_or_the_cross_programme_path(db):
    assert rls.current() == (None, "")


def test_a_service_that_forgot_its_scope_fails_in_the_suite(programme, coordinator):
    """``episode_create`` without its ``@rls.scoped_to`` (the body a forgetful author would have
    written): the database refuses its first write, as a Celery worker or a command would meet it."""
    from patients import services

    forgetful = services.episode_create.__wrapped__
    with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
        forgetful(programme=programme, actor=coordinator, values=valid_values(patient_ref="NO-SCOPE"))
    created = services.episode_create(programme=programme, actor=coordinator, values=valid_values(patient_ref="SCOPED"))
    with rls.programme_scope(programme.pk):
        assert [e.patient.patient_ref for e in Episode.objects.for_programme(programme)] == ["SCOPED"]
    assert created.programme_id == programme.pk


def test_the_cross_programme_path_is_what_hid_a_forgotten_scope(programme, coordinator, every_programme):
    """With the path a test may opt into, the same forgetful service passes: why no test takes it
    unless it arranges several programmes' rows itself."""
    from patients import services

    services.episode_create.__wrapped__(programme=programme, actor=coordinator, values=valid_values(patient_ref="X"))
    assert rls.current() == (None, "tests")


@pytest.mark.django_db(transaction=True)
class TestEveryPathSetsItsScope:
    """On autocommit connections as in production."""

    def test_services_write_and_read_within_their_programme(self, programme, coordinator):
        from patients import services

        episode = services.episode_create(programme=programme, actor=coordinator, values=valid_values())
        services.episode_update(
            episode=episode,
            actor=coordinator,
            expected_version=episode.version,
            values={"falls_assessment": "no"},
            partial=True,
        )
        with rls.programme_scope(programme.pk):
            assert Episode.objects.for_programme(programme).get().version == 2
            assert AuditEntry.objects.for_programme(programme).count() == 3

    def test_the_importer_writes_through_the_policy(self, programme, coordinator):
        counts = episodes_import(
            programme=programme,
            actor=coordinator,
            rows=dict_rows([valid_values(patient_ref=f"IMP{n}") for n in range(3)]),
            parallel=False,
        )
        assert counts.created == 3
        with rls.programme_scope(programme.pk):
            assert raw_count("patients_episode") == 3
        assert raw_count("patients_episode") == 0

    def test_commands_and_the_kpi_engine(self, programme, other_programme, coordinator, tmp_path):
        from patients import services

        services.episode_create(programme=programme, actor=coordinator, values=valid_values(patient_ref="A1"))
        services.episode_create(programme=other_programme, actor=coordinator, values=valid_values(patient_ref="B1"))
        out = tmp_path / "export.csv"
        call_command("export_patients", programme.slug, output=str(out), stderr=io.StringIO())
        assert "A1" in out.read_text() and "B1" not in out.read_text()
        kpi_services.results_recompute()  # every programme, through the KPI engine's named path
        rolling = KpiResult.objects.all_programmes().filter(period_kind="rolling12")
        assert {r.programme_id: r.episodes for r in rolling} == {programme.pk: 1, other_programme.pk: 1}

    def test_requests_see_their_programme_only(self, programme, other_programme, coordinator, make_episode, login):
        mine = make_episode(programme, patient_ref="MINE-9")
        theirs = make_episode(other_programme, patient_ref="THEIRS-9")
        client = login(coordinator)
        page = client.get(f"/p/{programme.slug}/episodes/")
        assert page.status_code == 200 and "MINE-9" in page.text and "THEIRS-9" not in page.text
        assert client.get(f"/p/{programme.slug}/episodes/{mine.pk}/").status_code == 200
        assert client.get(f"/p/{programme.slug}/episodes/{theirs.pk}/").status_code == 404
        export = client.get(f"/p/{programme.slug}/export.csv")
        body = b"".join(export.streaming_content).decode()
        assert "MINE-9" in body and "THEIRS-9" not in body
        assert rls.current() == (None, "")  # nothing of the request's scope stays on the connection


def test_a_view_that_forgets_its_filter_still_shows_one_programme(
    programme, other_programme, coordinator, make_episode, login, monkeypatch
):
    """Break the ORM's guard on purpose (a selector that lost ``for_programme``): the database
    still shows the request's programme only."""
    from patients import selectors

    make_episode(programme, patient_ref="MINE-7")
    make_episode(other_programme, patient_ref="THEIRS-7")
    original = selectors.episode_list

    def forgetful(prog, **kwargs):
        queryset = original(prog, **kwargs)
        queryset.query.where.children.clear()  # every filter gone, programme included
        return queryset

    monkeypatch.setattr(selectors, "episode_list", forgetful)
    page = login(coordinator).get(f"/p/{programme.slug}/episodes/")
    assert page.status_code == 200
    assert "MINE-7" in page.text
    assert "THEIRS-7" not in page.text
