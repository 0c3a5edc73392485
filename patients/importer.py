"""Bulk upsert of episodes: the CSV command, the upload page and the bulk API all come here.

One call is one transaction, all or nothing. The pipeline:

1. **Validate** (``_validated_chunks``): rows one by one through ``patients.rules`` (the same rules
   as the form), plus the checks across rows of the file (a key twice, a patient described two
   ways). Valid rows become ``_Row`` tuples, already rendered in PostgreSQL's COPY text format.
   For files this runs in a forked child process, so that validation (Python) and the writes
   (PostgreSQL) run on two cores at once.
2. **Write** (``_Writer``), per chunk of 5,000 rows: one indexed lookup of the chunk's patients and
   their episodes; each row is classified as new, changed or unchanged; new patients, new episodes
   and every audit row go in with ``COPY`` straight into their tables, changed episodes with one
   ``UPDATE ... FROM``. Unchanged rows write nothing.
3. If any row failed anywhere, every error is reported (``ImportRejected``) and the transaction
   rolls back. Memory stays flat: a chunk at a time, plus a few bytes per patient and key seen.

Rows are upserted by (programme, patient_ref, fracture_date); re-importing the same data changes
nothing and writes no audit rows.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import clock
from patients import rules
from programmes import rls
from programmes.bulk import copy_escape, copy_into, statement_settings
from programmes.csvio import CsvReader, CsvRejected, ErrorList, RowError
from programmes.locks import programme_lock
from programmes.models import AccessEvent, Programme
from programmes.services import access_event_record, programme_mark_data_changed

EPISODE_FIELDS = rules.EPISODE_FIELDS
CHUNK_ROWS = 5_000
ANALYZE_AFTER_ROWS = 1_000  # an import that creates this many episodes refreshes the tables' statistics
NULL = "\\N"


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    def __str__(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


class ImportRejected(CsvRejected):
    """Some rows are bad: ``errors`` lists each (row, column, message); nothing was written."""


def csv_rows(stream) -> Iterator[tuple[int, dict | None, list[RowError]]]:
    reader = CsvReader(stream, columns=rules.COLUMNS, required=rules.REQUIRED)
    yield from reader


_JSON_KINDS = {bool: "true/false", int: "a number", float: "a number", dict: "an object", list: "a list"}


def column_type_errors(item: dict) -> list[tuple[str, str]]:
    """(column, message) for unknown columns and values that are not text or null.

    The API's schema gives every column as a string (dates as YYYY-MM-DD): a number, a boolean,
    an object or a list is refused, never turned into text.
    """
    known = set(rules.COLUMNS)
    errors = [
        (name, _("unknown field; the fields are the CSV columns"))
        for name in sorted(set(item) - known - {"id", "version", "patient_id"})
    ]
    for name in rules.COLUMNS:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(
                (
                    name,
                    _("must be text (a string) or null, not %(kind)s")
                    % {"kind": _JSON_KINDS.get(type(value), "a value")},
                )
            )
    return errors


def dict_rows(items: Iterable[dict], *, first_index: int = 0) -> Iterator[tuple[int, dict | None, list[RowError]]]:
    """Rows of the bulk API: JSON objects, numbered by their index in the list."""
    for index, item in enumerate(items, start=first_index):
        if not isinstance(item, dict):
            yield index, None, [RowError(index, "", _("each item must be an object of column: value"))]
            continue
        errors = column_type_errors(item)
        if errors:
            yield index, None, [RowError(index, name, message) for name, message in errors]
            continue
        yield index, item, []


# --- 1. Validation ---------------------------------------------------------------------------


class _Row(NamedTuple):
    """One valid row, rendered for COPY. ``episode_text`` holds the episode columns, tab-separated."""

    row_no: int
    patient_ref: str  # as given
    sex: str
    birth_date: str
    fracture_date: str
    episode_text: str
    created_json: str  # the audit ``changes`` if the row creates its episode
    patient_text: str  # patient_ref (COPY-escaped), sex, birth_date
    patient_json: str  # the audit ``changes`` if the row registers its patient


_EPISODE_JSON_PREFIXES = tuple((name, f'"{name}":[null,"') for name in EPISODE_FIELDS)


def _render(row_no: int, clean: dict) -> _Row:
    """Render clean values as COPY text, and the audit ``changes`` of a creation.

    ``created_json`` is {field: [null, value]} for every recorded episode field: built here rather
    than in SQL, where building JSON per row costs several times more. Enumerations and ISO dates
    need no JSON escaping.
    """
    parts = []
    append = parts.append
    created = []
    for name, prefix in _EPISODE_JSON_PREFIXES:
        value = clean[name]
        if value is None:
            append(NULL)
            continue
        if value.__class__ is not str:
            value = value.isoformat()
        elif not value:
            append(value)
            continue
        append(value)
        created.append(prefix + value + '"]')
    ref, sex, birth = clean["patient_ref"], clean["sex"], clean["birth_date"].isoformat()
    return _Row(
        row_no,
        ref,
        sex,
        birth,
        parts[0],  # fracture_date, the first episode field
        "\t".join(parts),
        "{" + ",".join(created) + "}",
        f"{copy_escape(ref)}\t{sex}\t{birth}",
        copy_escape(
            f'{{"patient_ref":[null,{json.dumps(ref, ensure_ascii=False)}],"sex":[null,"{sex}"],'
            f'"birth_date":[null,"{birth}"]}}'
        ),
    )


class _FileChecks:
    """Checks across the rows of one file, made as the rows stream past.

    Keeps one small entry per patient and per episode key, so a 100,000-row file costs
    megabytes, not a copy of the file.
    """

    def __init__(self):
        self.first_row_of_key: dict[tuple[str, date], int] = {}
        self.patients: dict[str, tuple[int, str, date]] = {}

    def check(self, row_no: int, clean: dict) -> list[RowError]:
        ref = clean["patient_ref"]
        errors = []
        first = self.first_row_of_key.setdefault((ref, clean["fracture_date"]), row_no)
        if first != row_no:
            errors.append(
                RowError(
                    row_no,
                    "fracture_date",
                    _("the same patient_ref and fracture_date are already on row %(row)s") % {"row": first},
                )
            )
        known = self.patients.setdefault(ref, (row_no, clean["sex"], clean["birth_date"]))
        if known[0] != row_no:
            for name, value, seen in (("birth_date", clean["birth_date"], known[2]), ("sex", clean["sex"], known[1])):
                if value != seen:
                    errors.append(
                        RowError(
                            row_no,
                            name,
                            _("patient %(ref)s has a different %(field)s on row %(row)s")
                            % {"ref": ref, "field": name, "row": known[0]},
                        )
                    )
        return errors


@dataclass
class _Chunk:
    rows: list[_Row]
    clean: bool  # False once any row so far had an error: the writer then only checks


@dataclass
class _Outcome:
    rows_seen: int
    errors: list[RowError] = field(default_factory=list)  # the first MAX_ERRORS_LISTED
    total_errors: int = 0


def _validated_chunks(rows: Iterable, today: date) -> Iterator[_Chunk | _Outcome]:
    """Validate rows one by one; yield chunks of valid rows, then the ``_Outcome`` last."""
    errors = ErrorList()
    clean_episode = rules.clean_episode
    file_checks = _FileChecks()
    rows_seen = 0
    chunk: list[_Row] = []
    try:
        for row_no, raw, row_errors in rows:
            rows_seen += 1
            if row_errors:
                errors.extend(row_errors)
                continue
            clean, field_errors = clean_episode(raw, today=today)
            if field_errors:
                errors.extend(RowError(row_no, e.field, e.message) for e in field_errors)
                continue
            file_errors = file_checks.check(row_no, clean)
            if file_errors:
                errors.extend(file_errors)
                continue
            chunk.append(_render(row_no, clean))
            if len(chunk) >= CHUNK_ROWS:
                yield _Chunk(chunk, not errors)
                chunk = []
    except CsvRejected as exc:  # the file stopped being readable part-way
        errors.extend(exc.errors)
    if chunk:
        yield _Chunk(chunk, not errors)
    yield _Outcome(rows_seen, errors.kept, errors.total)


_END = object()


def _validate_in_child(rows: Iterable, today: date) -> Iterator[_Chunk | _Outcome]:
    """Run ``_validated_chunks`` in a forked process and hand its results over a pipe.

    The child inherits the rows iterator (an open file, an upload in memory) and never touches
    the database: it leaves with ``os._exit`` so that nothing inherited is closed or flushed. A
    reader thread here keeps the pipe drained while this process waits on PostgreSQL.
    """
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child
        status = 0
        try:
            receiver.close()
            for item in _validated_chunks(rows, today):
                sender.send(item)
        except BaseException:  # noqa: BLE001 - the parent sees no _Outcome and fails the import
            status = 1
        finally:
            os._exit(status)
    sender.close()
    buffered: queue.Queue = queue.Queue(maxsize=4)

    def pump():
        try:
            while True:
                buffered.put(receiver.recv())
        except (EOFError, OSError):
            buffered.put(_END)

    reader = threading.Thread(target=pump, name="episode-import-reader", daemon=True)
    reader.start()
    try:
        while (item := buffered.get()) is not _END:
            yield item
    finally:
        receiver.close()
        reader.join(timeout=5)
        os.waitpid(pid, 0)


# --- 2. Writing ------------------------------------------------------------------------------

_EPISODE_COLUMNS = [
    "id",
    "programme_id",
    "patient_id",
    *EPISODE_FIELDS,
    "version",
    "created_at",
    "updated_at",
    "updated_by_id",
]
_PATIENT_COLUMNS = [
    "id",
    "programme_id",
    "patient_ref",
    "sex",
    "birth_date",
    "version",
    "created_at",
    "updated_at",
    "updated_by_id",
]
_AUDIT_COLUMNS = [
    "programme_id",
    "entity",
    "entity_id",
    "patient_pk",
    "action",
    "actor_id",
    "at",
    "source",
    "reason",
    "changes",
]
_SETUP_SQL = [
    # IF NOT EXISTS and TRUNCATE: two imports may share one outer transaction (tests, scripts).
    "CREATE TEMP TABLE IF NOT EXISTS import_updates (LIKE patients_episode INCLUDING DEFAULTS) ON COMMIT DROP",
    "TRUNCATE import_updates",
]
# Lookups go through LATERAL subqueries with LIMIT: one index probe per key, whatever the
# statistics say (they are stale while an import fills the tables, and a plan that reads the
# whole programme once per chunk would make imports quadratic).
_LOOKUP_PATIENTS_SQL = """
SELECT p.patient_ref, p.id, p.sex, p.birth_date::text
FROM unnest(%(refs)s::text[]) AS r(ref)
JOIN LATERAL (SELECT patient_ref, id, sex, birth_date FROM patients_patient
              WHERE programme_id = %(programme)s AND patient_ref = r.ref LIMIT 1) p ON true
"""
# Stored episodes rendered by PostgreSQL in the COPY text form of ``_render`` (ISO dates, \N for
# blank dates), so that an unchanged row is a plain string comparison.
_EPISODE_TEXT_SQL = (
    "concat_ws(E'\\t', "
    + ", ".join(
        f"COALESCE(e.{name}::text, E'\\\\N')" if name.endswith("_date") else f"e.{name}" for name in EPISODE_FIELDS
    )
    + ")"
)
_LOOKUP_EPISODES_SQL = f"""
SELECT e.patient_id, e.fracture_date::text, e.id, e.episode_text
FROM unnest(%(patients)s::bigint[]) AS k(patient_id)
JOIN LATERAL (SELECT e.patient_id, e.fracture_date, e.id, {_EPISODE_TEXT_SQL} AS episode_text
              FROM patients_episode e
              WHERE e.programme_id = %(programme)s AND e.patient_id = k.patient_id LIMIT 1000) e ON true
"""
_APPLY_UPDATES_SQL = f"""
UPDATE patients_episode e SET {", ".join(f"{name} = u.{name}" for name in EPISODE_FIELDS)},
    version = e.version + 1, updated_at = u.updated_at, updated_by_id = u.updated_by_id
FROM import_updates u WHERE e.id = u.id
"""


def _as_audit(text: str):
    return None if text == NULL else text


class _Writer:
    """The database side of an import, a chunk at a time, in the caller's transaction."""

    def __init__(self, cursor, *, programme_id: int, actor_id: int | None, source: str):
        self.cursor = cursor
        self.programme = str(programme_id)
        self.programme_id = programme_id
        self.actor = NULL if actor_id is None else str(actor_id)
        self.now = timezone.now().isoformat()
        self.source = copy_escape(source)
        self.counts = ImportCounts()
        self.errors: list[RowError] = []
        self.writing = True
        # Patients this import registered: ref -> (id, sex, birth date).
        self.created: dict[str, tuple[int, str, str]] = {}
        # A first import into an empty programme needs no lookups: every patient is new or was
        # registered by an earlier chunk (kept above), and no episode exists yet.
        cursor.execute("SELECT EXISTS (SELECT 1 FROM patients_patient WHERE programme_id = %s)", [programme_id])
        self.programme_was_empty = not cursor.fetchone()[0]

    def _lookup(self, sql: str, params: dict) -> list[tuple]:
        """A lookup by key, through the index whatever the statistics say: right after a first import
        into a new database, before anything has analysed the tables, PostgreSQL believes them
        empty and would scan the whole table once per key (a re-import of 100,000 rows then took
        minutes instead of seconds). Sequential scans are off for this statement only."""
        with statement_settings(self.cursor, {"enable_seqscan": "off"}):
            self.cursor.execute(sql, params)
            return self.cursor.fetchall()

    def _ids(self, sequence: str, count: int) -> list[int]:
        self.cursor.execute(f"SELECT nextval('{sequence}'::regclass) FROM generate_series(1, %s)", [count])
        return [row[0] for row in self.cursor.fetchall()]

    def load(self, chunk: _Chunk) -> None:
        self.writing = self.writing and chunk.clean
        refs = {row.patient_ref for row in chunk.rows}
        if self.programme_was_empty:
            created = self.created
            patients = {ref: created[ref] for ref in refs if ref in created}
        else:
            found = self._lookup(_LOOKUP_PATIENTS_SQL, {"programme": self.programme_id, "refs": list(refs)})
            patients = {ref: (pid, sex, birth) for ref, pid, sex, birth in found}
            self._check_stored_patients(chunk.rows, patients)
        if not self.writing:  # the import will be rejected: only the checks go on
            return
        existing: dict[tuple[int, str], tuple] = {}
        if patients and not self.programme_was_empty:
            for patient_id, fracture, episode_id, text in self._lookup(
                _LOOKUP_EPISODES_SQL, {"programme": self.programme_id, "patients": [p[0] for p in patients.values()]}
            ):
                existing[(patient_id, fracture)] = (episode_id, text)
        self._write(chunk.rows, patients, existing)

    def _check_stored_patients(self, rows: list[_Row], patients: dict) -> None:
        for row in rows:
            stored = patients.get(row.patient_ref)
            if stored is None or row.patient_ref in self.created:
                continue
            _pid, sex, birth = stored
            conflicts = rules.patient_conflicts(row.patient_ref, sex, birth, row.sex, row.birth_date)
            if conflicts:
                self.errors.extend(RowError(row.row_no, e.field, e.message) for e in conflicts)
                self.writing = False

    def _write(self, rows: list[_Row], patients: dict, existing: dict) -> None:
        programme, actor, now, source = self.programme, self.actor, self.now, self.source
        new_refs = [ref for ref in dict.fromkeys(row.patient_ref for row in rows) if ref not in patients]
        patient_lines: list[str] = []
        audit_lines: list[str] = []
        if new_refs:
            first_row = {}
            for row in rows:
                first_row.setdefault(row.patient_ref, row)
            patient_tail = f"\t1\t{now}\t{now}\t{actor}\n"
            audit_head = f"\tcreate\t{actor}\t{now}\t{source}\t\t"
            for ref, pid in zip(new_refs, self._ids("patients_patient_id_seq", len(new_refs)), strict=True):
                row = first_row[ref]
                patients[ref] = (pid, row.sex, row.birth_date)
                patient_lines.append(f"{pid}\t{programme}\t{row.patient_text}{patient_tail}")
                audit_lines.append(f"{programme}\tpatient\t{pid}\t{pid}{audit_head}{row.patient_json}\n")
            self.created.update((ref, patients[ref]) for ref in new_refs)
        new_rows = []
        updates: list[str] = []
        for row in rows:
            pid = patients[row.patient_ref][0]
            found = existing.get((pid, row.fracture_date))
            if found is None:
                new_rows.append((row, pid))
            elif found[1] == row.episode_text:
                self.counts.unchanged += 1
            else:
                episode_id, stored_text = found
                before, after = stored_text.split("\t"), row.episode_text.split("\t")
                changes = {
                    name: [_as_audit(old), _as_audit(new)]
                    for name, old, new in zip(EPISODE_FIELDS, before, after, strict=True)
                    if old != new
                }
                updates.append(f"{episode_id}\t{programme}\t{pid}\t{row.episode_text}\t1\t{now}\t{now}\t{actor}\n")
                audit_lines.append(
                    f"{programme}\tepisode\t{episode_id}\t{pid}\tupdate\t{actor}\t{now}\t{source}\t\t"
                    f"{copy_escape(json.dumps(changes))}\n"
                )
                self.counts.updated += 1
        episode_lines = []
        if new_rows:
            episode_tail = f"\t1\t{now}\t{now}\t{actor}\n"
            audit_head = f"\tcreate\t{actor}\t{now}\t{source}\t\t"
            for (row, pid), episode_id in zip(
                new_rows, self._ids("patients_episode_id_seq", len(new_rows)), strict=True
            ):
                episode_lines.append(f"{episode_id}\t{programme}\t{pid}\t{row.episode_text}{episode_tail}")
                audit_lines.append(f"{programme}\tepisode\t{episode_id}\t{pid}{audit_head}{row.created_json}\n")
            self.counts.created += len(new_rows)
        self._copy("patients_patient", _PATIENT_COLUMNS, patient_lines)
        self._copy("patients_episode", _EPISODE_COLUMNS, episode_lines)
        if updates:
            self.cursor.execute("TRUNCATE import_updates")
            self._copy("import_updates", _EPISODE_COLUMNS, updates)
            self.cursor.execute(_APPLY_UPDATES_SQL)
        self._copy("patients_auditentry", _AUDIT_COLUMNS, audit_lines)

    def _copy(self, table: str, columns: list[str], lines: list[str]) -> None:
        copy_into(self.cursor, table, columns, "".join(lines))


def episodes_import(
    *,
    programme: Programme,
    rows: Iterable,
    actor=None,
    source: str = "import",
    today: date | None = None,
    parallel: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    """Validate and upsert many episodes, all or nothing. Raises ImportRejected with every error.

    ``parallel`` validates in a forked child process while this one writes (the default for
    streams such as files, where it nearly halves the time); lists (the bulk API) stay in-process.
    ``progress(rows)`` is called after each chunk with the rows checked so far (background imports).
    """
    today = today or clock.today(programme)
    if parallel is None:
        parallel = hasattr(os, "fork") and not isinstance(rows, list | tuple)
    with rls.programme_scope(programme.pk):
        programme_lock(programme.pk)  # one writer at a time per programme, as the services
        with connection.cursor() as cursor:
            for statement in _SETUP_SQL:
                cursor.execute(statement)
            writer = _Writer(
                cursor.cursor, programme_id=programme.pk, actor_id=getattr(actor, "pk", None), source=source
            )
            outcome = None
            for item in _validate_in_child(rows, today) if parallel else _validated_chunks(rows, today):
                if isinstance(item, _Chunk):
                    writer.load(item)
                    if progress is not None and item.rows:
                        progress(item.rows[-1].row_no - 1)  # file rows up to here, rejected ones too
                else:
                    outcome = item
            if outcome is None:
                raise RuntimeError("episode validation stopped unexpectedly; nothing was imported")
        errors = [*outcome.errors, *writer.errors]
        total = outcome.total_errors + len(writer.errors)
        if outcome.rows_seen == 0 and not errors:
            errors.append(RowError(2, "", _("there are no episodes to import")))
            total = 1
        if errors:
            raise ImportRejected(errors, total)
        counts = writer.counts
        if counts.created or counts.updated:
            programme_mark_data_changed(programme=programme)
        if counts.created >= ANALYZE_AFTER_ROWS:
            # Fresh statistics for the next import's lookups and the lists (migration patients/0011).
            with connection.cursor() as cursor:
                cursor.execute("SELECT fls_analyze_patient_data()")
        access_event_record(
            programme=programme, actor=actor, action=AccessEvent.Action.IMPORTED, source=source, **counts.as_dict()
        )
    return counts
