"""Every write to patients and episodes. Each one validates with ``patients.rules``, writes its
audit rows and marks the programme's data as changed, in the same transaction."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import clock
from patients import rules
from patients.models import AuditEntry, Episode, Patient
from patients.rules import FieldError
from programmes import rls
from programmes.locks import programme_lock
from programmes.models import Programme
from programmes.services import programme_mark_data_changed


class EpisodeInvalid(Exception):
    """The values break the dataset's rules; ``errors`` is a list of FieldError."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    def by_field(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for error in self.errors:
            grouped.setdefault(error.field, []).append(error.message)
        return grouped


class StaleEdit(Exception):
    """Someone saved the row after it was opened: refuse instead of overwriting their work."""

    def __init__(self, who, when):
        self.who = who
        self.when = when
        name = who.display_name if who else _("someone")
        super().__init__(
            _("changed by %(name)s at %(time)s — reload to see their version before saving yours")
            % {"name": name, "time": timezone.localtime(when).strftime("%Y-%m-%d %H:%M")}
        )


def _audit(*, programme, entity, entity_id, patient_id, action, actor, changes, source, reason="") -> AuditEntry:
    return AuditEntry.objects.create(
        programme=programme,
        entity=entity,
        entity_id=entity_id,
        patient_pk=patient_id,
        action=action,
        actor=actor,
        changes={k: [rules.as_json(b), rules.as_json(a)] for k, (b, a) in changes.items()},
        source=source,
        reason=reason,
    )


def _apply_changes(current, changes: dict, *, actor, entity: str, patient_id: int, source: str) -> None:
    """Save a patient's or an episode's changed fields with a new version and their audit row."""
    for field, (_before, after) in changes.items():
        setattr(current, field, after)
    current.version += 1
    current.updated_at = timezone.now()
    current.updated_by = actor
    current.save(update_fields=[*changes, "version", "updated_at", "updated_by"])
    _audit(
        programme=current.programme,
        entity=entity,
        entity_id=current.pk,
        patient_id=patient_id,
        action="update",
        actor=actor,
        source=source,
        changes=changes,
    )


def _created_changes(values: dict, fields) -> dict:
    return {f: (None, values[f]) for f in fields if values[f] not in ("", None)}


def _patient_conflicts(patient: Patient, clean: dict) -> list[FieldError]:
    return rules.patient_conflicts(
        patient.patient_ref, patient.sex, patient.birth_date, clean["sex"], clean["birth_date"]
    )


def validate_episode(raw: dict, *, today: date) -> dict:
    """Clean values or EpisodeInvalid: the one entry point for every caller's validation.
    ``today`` is the programme's date (accounts/clock.py)."""
    clean, errors = rules.clean_episode(raw, today=today)
    if errors:
        raise EpisodeInvalid(errors)
    return clean


def episode_check(*, programme: Programme, values: dict, episode: Episode | None = None) -> list[FieldError]:
    """Every problem with these values, without saving: the form's validation as the user types."""
    clean, errors = rules.clean_episode(values, today=clock.today(programme))
    if errors:
        return errors
    if episode is not None:
        patient = episode.patient
    else:
        patient = Patient.objects.for_programme(programme).filter(patient_ref=clean["patient_ref"]).first()
    if patient is not None:
        errors = _patient_conflicts(patient, clean)
        duplicate = (
            Episode.objects.for_programme(programme)
            .filter(patient=patient, fracture_date=clean["fracture_date"])
            .exclude(pk=getattr(episode, "pk", None))
            .exists()
        )
        if duplicate:
            errors.append(rules.duplicate_episode(patient.patient_ref, clean["fracture_date"]))
    return errors


@rls.scoped_to(lambda programme, **_: programme.pk)
def episode_create(*, programme: Programme, actor, values: dict, source: str = "form") -> Episode:
    """Record an episode; a new patient_ref registers the patient, a known one adds a re-fracture."""
    clean = validate_episode(values, today=clock.today(programme))
    programme_lock(programme.pk)
    now = timezone.now()
    patient = (
        Patient.objects.for_programme(programme)
        .select_for_update(no_key=True)
        .filter(patient_ref=clean["patient_ref"])
        .first()
    )
    if patient is None:
        try:
            with transaction.atomic():
                patient = Patient.objects.create(
                    programme=programme,
                    patient_ref=clean["patient_ref"],
                    sex=clean["sex"],
                    birth_date=clean["birth_date"],
                    updated_by=actor,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            # Someone registered the same patient_ref a moment ago: use theirs.
            patient = (
                Patient.objects.for_programme(programme)
                .select_for_update(no_key=True)
                .get(patient_ref=clean["patient_ref"])
            )
        else:
            _audit(
                programme=programme,
                entity="patient",
                entity_id=patient.pk,
                patient_id=patient.pk,
                action="create",
                actor=actor,
                source=source,
                changes=_created_changes(clean, rules.PATIENT_FIELDS),
            )
    conflicts = _patient_conflicts(patient, clean)
    if conflicts:
        raise EpisodeInvalid(conflicts)
    episode_values = {f: clean[f] for f in rules.EPISODE_FIELDS}
    try:
        with transaction.atomic():
            episode = Episode.objects.create(
                programme=programme,
                patient=patient,
                updated_by=actor,
                created_at=now,
                updated_at=now,
                **episode_values,
            )
    except IntegrityError:
        raise EpisodeInvalid([rules.duplicate_episode(patient.patient_ref, clean["fracture_date"])]) from None
    _audit(
        programme=programme,
        entity="episode",
        entity_id=episode.pk,
        patient_id=patient.pk,
        action="create",
        actor=actor,
        source=source,
        changes=_created_changes(episode_values, rules.EPISODE_FIELDS),
    )
    programme_mark_data_changed(programme=programme)
    return episode


def _locked_episode(episode: Episode) -> Episode:
    return (
        Episode.objects.for_programme(episode.programme_id)
        .select_for_update(of=("self",), no_key=True)
        .select_related("patient", "updated_by")
        .get(pk=episode.pk)
    )


@rls.scoped_to(lambda episode, **_: episode.programme_id)
def episode_update(
    *, episode: Episode, actor, values: dict, expected_version: int, source: str = "form", partial: bool = False
) -> Episode:
    """Change an episode's pathway values, refusing a stale write (optimistic locking).

    ``partial``: columns absent from ``values`` keep their stored value (PATCH, worklist actions).
    The patient's own columns cannot change here (see ``patient_update``).
    """
    locked_programme = programme_lock(episode.programme_id)
    current = _locked_episode(episode)
    if current.version != expected_version:
        raise StaleEdit(current.updated_by, current.updated_at)
    stored = current.values()
    raw = {**stored, **values} if partial else {**{f: stored[f] for f in rules.PATIENT_FIELDS}, **values}
    clean = validate_episode(raw, today=clock.today(locked_programme))
    conflicts = _patient_conflicts(current.patient, clean)
    if clean["patient_ref"] != current.patient.patient_ref:
        conflicts.append(FieldError("patient_ref", _("cannot change on an episode; change it on the patient's page")))
    if conflicts:
        raise EpisodeInvalid(conflicts)
    changes = {f: (stored[f], clean[f]) for f in rules.EPISODE_FIELDS if stored[f] != clean[f]}
    if not changes:
        return current
    if "fracture_date" in changes and (
        Episode.objects.for_programme(current.programme_id)
        .filter(patient_id=current.patient_id, fracture_date=clean["fracture_date"])
        .exclude(pk=current.pk)
        .exists()
    ):
        raise EpisodeInvalid([rules.duplicate_episode(current.patient.patient_ref, clean["fracture_date"])])
    _apply_changes(current, changes, actor=actor, entity="episode", patient_id=current.patient_id, source=source)
    programme_mark_data_changed(programme=current.programme)
    return current


@rls.scoped_to(lambda episode, **_: episode.programme_id)
def episode_delete(*, episode: Episode, actor, reason: str, expected_version: int | None = None) -> None:
    """Delete an episode (leads only, checked by the caller), with a reason kept in the audit trail.

    A patient left without episodes is deleted too.
    """
    reason = (reason or "").strip()
    if not reason:
        raise EpisodeInvalid([FieldError("reason", _("is required: say why this episode is deleted"))])
    programme_lock(episode.programme_id)
    current = _locked_episode(episode)
    if expected_version is not None and current.version != expected_version:
        raise StaleEdit(current.updated_by, current.updated_at)
    stored = current.values()
    patient = current.patient
    _audit(
        programme=current.programme,
        entity="episode",
        entity_id=current.pk,
        patient_id=patient.pk,
        action="delete",
        actor=actor,
        source="form",
        reason=reason,
        changes={f: (stored[f], None) for f in rules.EPISODE_FIELDS if stored[f] not in ("", None)},
    )
    current.delete()
    if not Episode.objects.for_programme(patient.programme_id).filter(patient_id=patient.pk).exists():
        _audit(
            programme=current.programme,
            entity="patient",
            entity_id=patient.pk,
            patient_id=patient.pk,
            action="delete",
            actor=actor,
            source="form",
            reason=reason,
            changes={f: (stored[f], None) for f in rules.PATIENT_FIELDS},
        )
        patient.delete()
    programme_mark_data_changed(programme=current.programme)


@rls.scoped_to(lambda patient, **_: patient.programme_id)
def patient_update(*, patient: Patient, actor, values: dict, expected_version: int) -> Patient:
    """Correct a patient's reference, sex or date of birth; every episode is re-checked against it."""
    locked_programme = programme_lock(patient.programme_id)
    today = clock.today(locked_programme)
    current = Patient.objects.for_programme(patient.programme_id).select_for_update(no_key=True).get(pk=patient.pk)
    if current.version != expected_version:
        raise StaleEdit(current.updated_by, current.updated_at)
    episodes = list(Episode.objects.for_programme(current.programme_id).filter(patient=current))
    new = {f: values.get(f, getattr(current, f)) for f in rules.PATIENT_FIELDS}
    errors: list[FieldError] = []
    for episode in episodes or [None]:
        raw = {**(episode.values() if episode else {"fracture_date": None, "fracture_site": "other"}), **new}
        if episode is None:
            raw["fracture_date"] = today
        _clean, found = rules.clean_episode(raw, today=today)
        errors.extend(e for e in found if e.field in rules.PATIENT_FIELDS and e not in errors)
    if errors:
        raise EpisodeInvalid(errors)
    clean = {
        "patient_ref": str(new["patient_ref"]).strip(),
        "sex": str(new["sex"]).strip().lower(),
        "birth_date": new["birth_date"]
        if isinstance(new["birth_date"], date)
        else date.fromisoformat(new["birth_date"]),
    }
    changes = {f: (getattr(current, f), clean[f]) for f in rules.PATIENT_FIELDS if getattr(current, f) != clean[f]}
    if not changes:
        return current
    if (
        "patient_ref" in changes
        and Patient.objects.for_programme(current.programme_id).filter(patient_ref=clean["patient_ref"]).exists()
    ):
        raise EpisodeInvalid([FieldError("patient_ref", _("another patient already has this reference"))])
    _apply_changes(current, changes, actor=actor, entity="patient", patient_id=current.pk, source="form")
    programme_mark_data_changed(programme=current.programme)
    return current
