"""What case finding keeps: the candidates it proposed (patient identifiers: under row-level
security, and deleted after ``CASE_FINDING_RETENTION_DAYS`` unless they became episodes), the
records it has seen (a digest of each ``source_id``, nothing of the record: re-reading changes
nothing), and the monthly counts (no patient: kept, and shown to reviewers)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from patients import rules as dataset
from programmes.tenancy import ProgrammeOwnedModel

FORMAT_CHOICES = [("csv", "CSV"), ("fhir", "FHIR R4"), ("hl7v2", "HL7 v2")]


class Candidate(ProgrammeOwnedModel):
    """A record that looks like a fragility fracture, waiting for a coordinator's decision (or a
    duplicate of an episode or candidate the programme already holds, kept and linked)."""

    ROW_SECURITY = True  # patient identifiers, as episodes (programmes/rls.py)

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("candidate", "open")
        ACCEPTED = "accepted", pgettext_lazy("candidate", "accepted")
        DISMISSED = "dismissed", pgettext_lazy("candidate", "dismissed")
        DUPLICATE = "duplicate", pgettext_lazy("candidate", "duplicate")

    class DismissReason(models.TextChoices):
        NOT_FRAGILITY = "not_fragility", _("not a fragility fracture")
        KNOWN_ELSEWHERE = "known_elsewhere", _("followed elsewhere")
        OUT_OF_AREA = "out_of_area", _("outside the service's area")
        DECEASED = "deceased", _("deceased")
        DECLINED = "declined", _("declined")
        OTHER = "other", _("another reason")

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    source_id = models.CharField(max_length=200)
    source_format = models.CharField(max_length=8, choices=FORMAT_CHOICES)
    read_at = models.DateTimeField(default=timezone.now)
    rules_version = models.CharField(max_length=16, help_text="casefinding.rules.VERSION that proposed it")
    patient_ref = models.CharField(_("patient reference"), max_length=dataset.PATIENT_REF_MAX, db_collation="C")
    sex = models.CharField(max_length=10, blank=True)
    birth_date = models.DateField()
    event_date = models.DateField()
    site = models.CharField(max_length=16, choices=dataset.choices("fracture_site"))
    spine_detection = models.CharField(max_length=16, blank=True)
    codes = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    report_text = models.TextField(blank=True)
    matched = models.JSONField(default=list, blank=True, help_text="[start, end] of each term found in the report")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    duplicate_of_episode = models.ForeignKey(
        "patients.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )
    episode = models.ForeignKey(
        "patients.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(max_length=16, choices=DismissReason.choices, blank=True)
    dismiss_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("case-finding candidate")
        verbose_name_plural = _("case-finding candidates")
        indexes = [
            models.Index(fields=["programme", "patient_ref", "event_date"], name="candidate_patient"),
            models.Index(
                fields=["programme", "event_date", "id"],
                name="candidate_open",
                condition=models.Q(status="open"),
            ),
            models.Index(fields=["read_at"], name="candidate_read_at"),
        ]

    def __str__(self):
        return f"{self.patient_ref} {self.site} {self.event_date}"


class SeenRecord(ProgrammeOwnedModel):
    """A record already read by the programme: the SHA-256 of its ``source_id``, and when."""

    ROW_SECURITY = True  # programme-owned like the candidates it came with

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    source_key = models.BinaryField(max_length=32)
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "source_key"], name="seen_record_once")]

    def __str__(self):
        return self.source_key.hex() if isinstance(self.source_key, bytes) else str(self.source_key)


class MonthlyCount(models.Model):
    """How many records were read, proposed (by site), accepted, dismissed (by reason) and excluded
    (by reason), by the month of their event: the fractures of a month and what became of them. No
    patient: kept after the candidates are deleted, and read by IOF reviewers as evidence for the
    identification standards of an application's months."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="the first day of the month")
    kind = models.CharField(max_length=16)  # read, candidate, duplicate, excluded, accepted, dismissed
    reason = models.CharField(max_length=20, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "month", "kind", "reason"], name="monthly_count_once")
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.kind} {self.reason}: {self.count}"
