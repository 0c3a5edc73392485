import json
from functools import partialmethod

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients import rules
from programmes.tenancy import ProgrammeOwnedModel


class Versioned(models.Model):
    """A version for optimistic locking, and who saved last (for "changed by NAME at TIME")."""

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # No database constraint: users are never deleted in practice, and a constraint check per row
    # would slow bulk imports.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        abstract = True


def coded_labels(cls):
    """Each coded field's ``get_FOO_display`` reads ``rules.label`` (cached per language)."""
    for field in cls._meta.concrete_fields:
        if field.name in rules.ENUMS:
            display = partialmethod(_display, field.name)
            setattr(cls, f"get_{field.name}_display", display)
    return cls


def _display(instance, field: str) -> str:
    return rules.label(field, getattr(instance, field))


@coded_labels
class Patient(Versioned, ProgrammeOwnedModel):
    """A person the programme follows; ``patient_ref`` is the programme's own identifier."""

    ROW_SECURITY = True  # under row-level security (programmes/rls.py)

    # Indexed by the (programme, patient_ref) constraint. No database constraint to the programme
    # (programmes are never deleted: PROTECT); a per-row check would slow bulk imports.
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="patients", db_index=False, db_constraint=False
    )
    # "C" collation: byte order, so the (programme, patient_ref) index also serves prefix search.
    patient_ref = models.CharField(_("patient reference"), max_length=rules.PATIENT_REF_MAX, db_collation="C")
    sex = models.CharField(_("sex"), max_length=10, choices=rules.choices("sex"))
    birth_date = models.DateField(_("date of birth"))

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(fields=["programme", "patient_ref"], name="patient_ref_unique_in_programme"),
        ]

    def __str__(self):
        return self.patient_ref


@coded_labels
class Episode(Versioned, ProgrammeOwnedModel):
    """One index fracture and the pathway that followed it. Blank means "not recorded yet"."""

    ROW_SECURITY = True  # under row-level security (programmes/rls.py)

    # No database foreign-key constraints here: PostgreSQL checks them row by row (a query per row),
    # which cost a fifth of a 100,000-row import. The services are the only writers, and they pick
    # the patient within the episode's programme (see docs/patients.md, "Integrity").
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="episodes", db_index=False, db_constraint=False
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="episodes", db_index=False, db_constraint=False
    )
    fracture_date = models.DateField(_("fracture date"))
    fracture_site = models.CharField(_("fracture site"), max_length=16, choices=rules.choices("fracture_site"))
    mechanism = models.CharField(max_length=16, blank=True, choices=rules.choices("mechanism"))
    spine_detection = models.CharField(max_length=16, blank=True, choices=rules.choices("spine_detection"))
    identification_date = models.DateField(null=True, blank=True)
    fls_assessment = models.CharField(max_length=3, blank=True, choices=rules.choices("fls_assessment"))
    fls_assessment_date = models.DateField(null=True, blank=True)
    dxa = models.CharField(max_length=12, blank=True, choices=rules.choices("dxa"))
    dxa_date = models.DateField(null=True, blank=True)
    falls_assessment = models.CharField(max_length=8, blank=True, choices=rules.choices("falls_assessment"))
    aom_recommended = models.CharField(max_length=3, blank=True, choices=rules.choices("aom_recommended"))
    aom_drug = models.CharField(max_length=16, blank=True, choices=rules.choices("aom_drug"))
    first_followup_date = models.DateField(null=True, blank=True)
    aom_started = models.CharField(max_length=3, blank=True, choices=rules.choices("aom_started"))
    aom_started_date = models.DateField(null=True, blank=True)
    sb_started = models.CharField(max_length=3, blank=True, choices=rules.choices("sb_started"))
    sb_started_date = models.DateField(null=True, blank=True)
    second_followup_date = models.DateField(null=True, blank=True)
    aom_at_52w = models.CharField(max_length=3, blank=True, choices=rules.choices("aom_at_52w"))
    death_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("episode")
        verbose_name_plural = _("episodes")
        constraints = [
            models.UniqueConstraint(fields=["programme", "patient", "fracture_date"], name="episode_key"),
        ]
        indexes = [
            # With id: the list's default order (newest first, then id) is read straight off the index.
            models.Index(fields=["programme", "fracture_date", "id"], name="episode_programme_fracture"),
            # The worklist's two kinds of contact still to make (patients/selectors.py): small partial
            # indexes that its counts and its page read without visiting the table.
            models.Index(
                fields=["programme", "fracture_date", "id"],
                name="episode_first_contact_due",
                condition=models.Q(first_followup_date__isnull=True, death_date__isnull=True),
            ),
            models.Index(
                fields=["programme", "fracture_date", "id"],
                name="episode_second_contact_due",
                condition=models.Q(aom_started="yes", second_followup_date__isnull=True, death_date__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.fracture_site} {self.fracture_date}"

    @property
    def out_of_scope(self) -> bool:
        """A high-energy injury: not a fragility fracture, flagged on the episode page."""
        return self.mechanism in rules.OUT_OF_SCOPE_MECHANISMS

    def values(self) -> dict:
        """Every CSV column's value for this episode (patient columns from its patient)."""
        data = {field: getattr(self, field) for field in rules.EPISODE_FIELDS}
        data.update(patient_ref=self.patient.patient_ref, sex=self.patient.sex, birth_date=self.patient.birth_date)
        return data


class AuditChangesField(models.JSONField):
    """JSON kept as text rather than ``jsonb``.

    The audit trail is written far more than it is read, and never searched by content; parsing
    JSON into ``jsonb`` cost more than the rest of writing an audit row during 100,000-row imports.
    Every value is produced by ``json.dumps`` here or by the importer's own serialiser.
    """

    def db_type(self, connection):
        return "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)

    def from_db_value(self, value, expression, connection):
        return json.loads(value) if isinstance(value, str) else value


class AuditEntry(ProgrammeOwnedModel):
    """The change log of clinical values: who changed what, when, field by field. Append-only."""

    ROW_SECURITY = True  # under row-level security (programmes/rls.py)
    APPEND_ONLY = ("actor_id",)  # programmes/append_only.py: a deleted account's id may be cleared

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    class Entity(models.TextChoices):
        PATIENT = "patient", _("patient")
        EPISODE = "episode", _("episode")

    # The audit trail is an append-only log: no database constraints or extra indexes that would
    # slow the writes it shadows; the programme is protected by the Django relation.
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        related_name="audit_entries",
        db_index=False,
        db_constraint=False,
    )
    entity = models.CharField(max_length=10, choices=Entity.choices)
    entity_id = models.BigIntegerField()
    # The primary key of the patient the row concerns (not the hospital's patient_ref): the history
    # of one patient is read by it.
    patient_pk = models.BigIntegerField(help_text="the patient (primary key) the row concerns")
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, default="form")
    reason = models.TextField(blank=True)
    changes = AuditChangesField(default=dict, help_text="{field: [before, after]}")

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["programme", "patient_pk"], name="audit_patient")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Audit entries cannot be changed."))
        super().save(*args, **kwargs)


class ImportJob(ProgrammeOwnedModel):
    """A CSV import too large to run while the coordinator waits: a worker runs it, all or nothing,
    and the import page shows its progress. The uploaded file is kept only until it has run."""

    ROW_SECURITY = True  # holds the uploaded rows until they have run (programmes/rls.py)

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for a worker")
        RUNNING = "running", _("running")
        DONE = "done", _("imported")
        REJECTED = "rejected", _("not imported: problems in the file")
        FAILED = "failed", _("not imported: the import stopped")

    FINISHED = (State.DONE, State.REJECTED, State.FAILED)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_constraint=False
    )
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="bytes uploaded")
    rows_expected = models.PositiveIntegerField(default=0, help_text="lines in the file, less the header")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    content = models.BinaryField(editable=False, help_text="the uploaded file; emptied once it has run")
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="the first problems: [row, column, message]")
    total_errors = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED
