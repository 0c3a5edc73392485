"""Every write of case finding: reading a feed into candidates, a coordinator's decision on one,
and the nightly deletion of what the programme never accepted. Each one writes its access-log row
and its monthly counts in the same transaction."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import BinaryIO

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casefinding import readers, rules
from casefinding.models import Candidate, SeenRecord
from patients import rules as dataset
from patients.models import Episode
from patients.services import episode_create
from programmes import bulk, rls
from programmes.locks import serialize
from programmes.models import AccessEvent, Programme
from programmes.services import access_event_record

CHUNK = 2_000  # records looked up and written together
Status = Candidate.Status


@dataclass
class FindCounts:
    """What one read of a file found: the command's and the API's answer."""

    records: int = 0
    candidates: int = 0
    duplicates: int = 0
    unchanged: int = 0
    excluded: Counter = field(default_factory=Counter)
    sites: Counter = field(default_factory=Counter)
    format: str = ""
    # The monthly counts: (month of the event, kind, reason) -> records. Candidates are counted by
    # site, a spine found on imaging apart (``spine_radiological``: the vertebral standard's evidence).
    tallies: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "records": self.records,
            "candidates": self.candidates,
            "duplicates": self.duplicates,
            "unchanged": self.unchanged,
            "excluded": {reason: self.excluded[reason] for reason in rules.EXCLUSIONS if self.excluded[reason]},
            "sites": dict(sorted(self.sites.items())),
        }


def source_key(source_id: str) -> bytes:
    return hashlib.sha256(source_id.encode()).digest()


def _month(day: date) -> date:
    return day.replace(day=1)


def _count(programme_id: int, counts: dict[tuple[date, str, str], int]) -> None:
    """Add to the programme's monthly counts: (month, kind, reason) -> n, in one statement."""
    rows = [(month, kind, reason, n) for (month, kind, reason), n in counts.items() if n]
    if not rows:
        return
    months, kinds, reasons, numbers = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO casefinding_monthlycount (programme_id, month, kind, reason, count) "
            "SELECT %s, * FROM unnest(%s::date[], %s::text[], %s::text[], %s::int[]) "
            "ON CONFLICT (programme_id, month, kind, reason) "
            "DO UPDATE SET count = casefinding_monthlycount.count + EXCLUDED.count",
            [programme_id, list(months), list(kinds), list(reasons), list(numbers)],
        )


@transaction.atomic
def cases_find(
    *, programme: Programme, content: bytes | BinaryIO, fmt: str | None = None, actor=None, via: str = "command"
) -> FindCounts:
    """Read a feed (bytes, or a buffered binary file: CSV and HL7 v2 are streamed) and propose its
    candidates: all or nothing (``readers.Unreadable`` stores nothing). Records already seen are
    counted unchanged; the rest are decided by ``rules``. Those that pass wait in a temporary table
    and come back in event-date order, to be checked against the programme's episodes and
    candidates of the 90 days either side: memory does not grow with the file."""
    fmt = fmt or readers.detect_format(content[:64] if isinstance(content, bytes) else content.peek(64)[:64])
    counts = FindCounts(format=fmt)
    with rls.programme_scope(programme.pk):
        serialize(f"case-finding:{programme.pk}")  # two feeds of one programme take turns
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(PASSING_TABLE)
            cursor.execute("TRUNCATE casefinding_passing")  # two reads may share one transaction
        chunk: list[readers.SourceRecord] = []
        records = readers.read(content, fmt, identifier_system=programme.record_number_system)
        for record in records:
            chunk.append(record)
            if len(chunk) >= CHUNK:
                _take(programme, chunk, counts, now)
                chunk = []
        _take(programme, chunk, counts, now)
        _propose(programme, fmt, counts, now)
        _count(programme.pk, counts.tallies)
        access_event_record(
            programme=programme,
            actor=actor,
            action=AccessEvent.Action.IMPORTED,
            what="case_finding",
            via=via,
            format=fmt,
            **counts.as_dict(),
        )
    return counts


def _take(programme, chunk, counts, now) -> None:
    """Count a chunk of records: unchanged ones, excluded ones (by reason), the rest kept for
    ``_propose``; the new ones are remembered as seen at once, so that the next chunk's look-up
    finds them (a record twice in one file is read once)."""
    if not chunk:
        return
    keys = [source_key(record.source_id) for record in chunk]
    known = {
        bytes(key)
        for key in SeenRecord.objects.for_programme(programme)
        .filter(source_key__in=keys)
        .values_list("source_key", flat=True)
    }
    fresh, passing = [], []
    for record, key in zip(chunk, keys, strict=True):
        counts.records += 1
        if key in known:
            counts.unchanged += 1
            continue
        known.add(key)
        fresh.append(key)
        month = _month(record.event_date)
        counts.tallies[(month, "read", "")] += 1
        decision = rules.decide(
            birth_date=record.birth_date,
            event_date=record.event_date,
            codes=record.codes,
            report_text=record.report_text,
        )
        if decision.excluded:
            counts.excluded[decision.excluded] += 1
            counts.tallies[(month, "excluded", decision.excluded)] += 1
        else:
            passing.append(_passing_line(record, decision))
    stamp = now.isoformat()
    text = "".join(bulk.copy_row((programme.pk, f"\\x{key.hex()}", stamp)) for key in fresh)  # bytea as hex
    with connection.cursor() as cursor:
        bulk.copy_into(cursor, SeenRecord._meta.db_table, ("programme_id", "source_key", "read_at"), text)
        bulk.copy_into(cursor, "casefinding_passing", PASSING_COLUMNS, "".join(passing))


# The records that passed the rules, waiting for the duplicate check in event-date order (then
# file order): a temporary table of this transaction, so that a file of any size needs little memory.
PASSING_COLUMNS = (
    "event_date", "number", "source_id", "patient_ref", "sex", "birth_date", "codes", "report_text",
    "site", "spine_detection", "spans",
)  # fmt: skip
PASSING_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS casefinding_passing (event_date date, number int, source_id text, "
    "patient_ref text, sex text, birth_date date, codes text, report_text text, site text, "
    "spine_detection text, spans text) ON COMMIT DROP"
)
BATCH = 2_000  # passing records read back, and their patients looked up, at a time


def _passing_line(record, decision) -> str:
    values = (
        record.event_date.isoformat(), str(record.number), record.source_id[:200],
        record.patient_ref[: dataset.PATIENT_REF_MAX], record.sex, record.birth_date.isoformat(),
        "{" + ",".join(record.codes) + "}", record.report_text, decision.site, decision.spine_detection,
        orjson.dumps([list(span) for span in decision.report.spans]).decode(),
    )  # fmt: skip
    return bulk.copy_row(values)


def _propose(programme, fmt, counts, now) -> None:
    """Candidates and duplicates from the records that passed, in event-date order then file order,
    a batch at a time: the batch's patients are looked up among the programme's episodes and its
    candidates (this read's included: they are written before each look-up), and the new rows go
    to the table by COPY (ids from its sequence, so that a duplicate names what it repeats)."""
    window = timedelta(days=rules.DUPLICATE_WINDOW_DAYS)
    fixed = {"programme": programme.pk, "format": fmt, "read_at": now.isoformat(), "version": rules.VERSION}
    columns = ", ".join(PASSING_COLUMNS)
    with connection.cursor() as cursor:
        ids = _Ids(cursor)
        reader = connection.connection.cursor(name="casefinding_passing_read")  # on the server: BATCH at a time
        reader.execute(f"SELECT {columns} FROM casefinding_passing ORDER BY event_date, number")  # noqa: S608
        while batch := reader.fetchmany(BATCH):
            episodes, earlier = _known(programme, {row[3] for row in batch})
            lines: list[str] = []
            for event_date, _number, source_id, ref, sex, birth, codes, report, site, detection, spans in batch:
                episode = next((pk for when, pk in episodes[ref] if abs(when - event_date) <= window), None)
                repeated = None
                if episode is None:
                    repeated = next((pk for when, pk in earlier[ref] if abs(when - event_date) <= window), None)
                pk = ids.next()
                row = (pk, fixed["programme"], source_id, fmt, fixed["read_at"], fixed["version"], ref, sex,
                       birth.isoformat(), event_date.isoformat(), site, detection, codes, report, spans)  # fmt: skip
                lines.append(_copy_line(row, episode, repeated))
                if episode is not None or repeated is not None:
                    counts.duplicates += 1
                    counts.tallies[(_month(event_date), "duplicate", "")] += 1
                    continue
                earlier[ref].append((event_date, pk))
                counts.candidates += 1
                counts.sites[site] += 1
                tallied = f"spine_{detection}" if detection else site
                counts.tallies[(_month(event_date), "candidate", tallied)] += 1
            bulk.copy_into(cursor, Candidate._meta.db_table, COPY_COLUMNS, "".join(lines))
        reader.close()


def _known(programme, refs: set[str]) -> tuple[dict, dict]:
    """The patients' episodes and candidates that count for duplicates: (fracture or event date, id)."""
    episodes: dict[str, list[tuple[date, int]]] = defaultdict(list)
    earlier: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for ref, day, pk in (
        Episode.objects.for_programme(programme)
        .filter(patient__patient_ref__in=refs)
        .values_list("patient__patient_ref", "fracture_date", "pk")
    ):
        episodes[ref].append((day, pk))
    for ref, day, pk in (
        Candidate.objects.for_programme(programme)
        .filter(patient_ref__in=refs, status__in=(Status.OPEN, Status.ACCEPTED, Status.DISMISSED))
        .values_list("patient_ref", "event_date", "pk")
    ):
        earlier[ref].append((day, pk))
    return episodes, earlier


class _Ids:
    """Candidate ids from the table's sequence, fetched a block at a time."""

    BLOCK = 1_000

    def __init__(self, cursor):
        self.cursor = cursor
        self.free: list[int] = []

    def next(self) -> int:
        if not self.free:
            self.cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('casefinding_candidate', 'id')) FROM generate_series(1, %s)",
                [self.BLOCK],
            )
            self.free = [pk for (pk,) in reversed(self.cursor.fetchall())]
        return self.free.pop()


# The columns a new candidate is written with (COPY: a tenth of an INSERT's time per row).
COPY_COLUMNS = (
    "id", "programme_id", "source_id", "source_format", "read_at", "rules_version", "patient_ref", "sex",
    "birth_date", "event_date", "site", "spine_detection", "codes", "report_text", "matched", "status",
    "duplicate_of_id", "duplicate_of_episode_id", "dismiss_reason", "dismiss_note",
)  # fmt: skip


def _copy_line(row: tuple, episode: int | None, repeated: int | None) -> str:
    """One candidate (a duplicate when it repeats an episode or a candidate) in COPY's text format:
    ``row`` holds the columns up to ``matched``, already as text where COPY reads text."""
    status = Status.DUPLICATE if episode is not None or repeated is not None else Status.OPEN
    return bulk.copy_row((*row, status.value, repeated, episode, "", ""))


# --- A coordinator's decision --------------------------------------------------------------------

# The candidate's state machine: an open candidate is accepted (it became an episode) or dismissed
# (with a reason); duplicates and decided candidates do not move.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.ACCEPTED, Status.DISMISSED}),
}


class CandidateDecided(ValidationError):
    """Someone decided on this candidate already (or it is a duplicate): nothing was changed."""

    def __init__(self, candidate: Candidate):
        self.candidate = candidate
        who = candidate.decided_by.display_name if candidate.decided_by else ""
        status = candidate.get_status_display()
        if who:
            message = _("This candidate is already %(status)s (by %(name)s).") % {"status": status, "name": who}
        else:
            message = _("This candidate is already %(status)s.") % {"status": status}
        super().__init__(message, code="decided")


def _locked(candidate: Candidate) -> Candidate:
    return (
        Candidate.objects.for_programme(candidate.programme_id)
        .select_for_update(of=("self",))
        .select_related("decided_by")
        .get(pk=candidate.pk)
    )


@rls.scoped_to(lambda candidate, **_: candidate.programme_id)
@transaction.atomic
def candidate_transition(
    *, candidate: Candidate, to: str, actor, reason: str = "", note: str = "", episode: Episode | None = None
) -> Candidate:
    """The one way a candidate changes status: refused unless ``TRANSITIONS`` allows it. Writes its
    access-log row and the month's count."""
    current = _locked(candidate)
    if to not in TRANSITIONS.get(current.status, ()):
        raise CandidateDecided(current)
    if to == Status.DISMISSED:
        if reason not in Candidate.DismissReason.values:
            raise ValidationError({"reason": _("Choose why this candidate is dismissed.")})
        if reason == Candidate.DismissReason.OTHER and not note.strip():
            raise ValidationError({"note": _("Say why, when the reason is another one.")})
    if to == Status.ACCEPTED and episode is None:
        raise ValidationError(_("A candidate is accepted with the episode it became."))
    current.status = to
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.dismiss_reason = reason if to == Status.DISMISSED else ""
    current.dismiss_note = note.strip() if to == Status.DISMISSED else ""
    current.episode = episode
    current.save(update_fields=["status", "decided_by", "decided_at", "dismiss_reason", "dismiss_note", "episode"])
    programme = Programme.objects.get(pk=current.programme_id)
    _count(current.programme_id, {(_month(current.event_date), to, current.dismiss_reason): 1})
    action = AccessEvent.Action.CANDIDATE_ACCEPTED if to == Status.ACCEPTED else AccessEvent.Action.CANDIDATE_DISMISSED
    detail = {"candidate": current.pk}
    if episode is not None:
        detail["episode"] = episode.pk
    if to == Status.DISMISSED:
        detail["reason"] = reason
    access_event_record(programme=programme, actor=actor, action=action, **detail)
    return current


@rls.scoped_to(lambda candidate, **_: candidate.programme_id)
@transaction.atomic
def candidate_accept(*, candidate: Candidate, actor, values: dict) -> Episode:
    """Save the episode the coordinator completed from the candidate, and accept the candidate with
    it: both or neither (``patients.services.EpisodeInvalid`` leaves the candidate open)."""
    current = _locked(candidate)
    if Status.ACCEPTED not in TRANSITIONS.get(current.status, ()):
        raise CandidateDecided(current)
    programme = Programme.objects.get(pk=current.programme_id)
    episode = episode_create(programme=programme, actor=actor, values=values, source="case_finding")
    candidate_transition(candidate=current, to=Status.ACCEPTED, actor=actor, episode=episode)
    return episode


def candidate_dismiss(*, candidate: Candidate, actor, reason: str, note: str = "") -> Candidate:
    return candidate_transition(candidate=candidate, to=Status.DISMISSED, actor=actor, reason=reason, note=note)


# --- Retention -----------------------------------------------------------------------------------


@transaction.atomic
def candidates_purge(*, now=None) -> int:
    """Delete the candidates older than ``CASE_FINDING_RETENTION_DAYS`` that did not become
    episodes (open, dismissed or duplicates): data the FLS never accepted is not kept. The monthly
    counts and the digests of the records seen stay (they hold no patient)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.CASE_FINDING_RETENTION_DAYS)
    with rls.all_programmes(rls.Reason.RETENTION):
        expired = Candidate.objects.all_programmes().filter(read_at__lt=cutoff).exclude(status=Status.ACCEPTED)
        # Accepted candidates keep pointing at nothing they repeat: the link is cleared first.
        Candidate.objects.all_programmes().filter(duplicate_of__in=expired).update(duplicate_of=None)
        deleted, _by_model = expired.delete()
    return deleted
