"""Best Practice Recognition: the versioned catalogue, applications, reviews, decisions.

An application is a programme's row (``ProgrammeOwnedModel``): its frozen KPI figures are
aggregates, never patient rows, and they are all a reviewer or IOF staff ever read of it.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from programmes.files import DatabaseStorage
from programmes.tenancy import ProgrammeOwnedModel
from recognition import scoring

DOMAIN_CHOICES = [(code, scoring.DOMAIN_NAMES[code]) for code in scoring.DOMAINS]
LEVEL_CHOICES = [(code, scoring.LEVEL_NAMES[code]) for code in (*scoring.LEVELS, scoring.NONE)]
SCORE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(3)]


class PrivateStorage(FileSystemStorage):
    """Where an earlier version kept evidence and resource files (``PRIVATE_FILES_ROOT``), read only
    by ``move_files_to_database``. The location is read from the settings when used."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_FILES_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("evidence files have no public URL")


def private_storage():
    """Where evidence and resource files are stored: PostgreSQL (programmes/files.py). The name
    stays so that the migrations that refer to it keep working; ``PrivateStorage`` remains for
    ``move_files_to_database``, which reads the files an earlier version kept on disk."""
    return DatabaseStorage()


class CatalogueVersion(models.Model):
    """One version of the Best Practice Framework catalogue. Published versions never change;
    IOF staff copy the current one into a new draft, edit it in the admin, and publish it."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The scoring rule's thresholds (recognition.md): lowest domain mean reaching each level.
    gold_threshold = models.DecimalField(_("gold from mean"), max_digits=4, decimal_places=2, default=Decimal("2.5"))
    silver_threshold = models.DecimalField(
        _("silver from mean"), max_digits=4, decimal_places=2, default=Decimal("1.5")
    )
    bronze_threshold = models.DecimalField(
        _("bronze from mean"), max_digits=4, decimal_places=2, default=Decimal("0.75")
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gold_threshold__gt=models.F("silver_threshold"))
                & models.Q(silver_threshold__gt=models.F("bronze_threshold"))
                & models.Q(bronze_threshold__gt=0)
                & models.Q(gold_threshold__lte=3),
                name="catalogue_thresholds_ordered",
            )
        ]

    def __str__(self):
        return f"v{self.number}: {self.title}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def thresholds(self) -> scoring.Thresholds:
        return scoring.Thresholds(self.gold_threshold, self.silver_threshold, self.bronze_threshold)


class InReadersLanguage:
    """``local_<field>``: the standard's ``<field>`` in the reader's language (see Standard._in_language)."""

    def __set_name__(self, owner, name):
        self.field = name.removeprefix("local_")

    def __get__(self, standard, owner=None):
        return self if standard is None else standard._in_language(self.field)


class Standard(models.Model):
    """One of the 13 standards in one catalogue version, with what each level asks."""

    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="standards")
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1), MaxValueValidator(13)])
    name = models.CharField(_("name"), max_length=200)
    kpi_codes = ArrayField(
        models.CharField(max_length=8),
        verbose_name=_("KPI evidence"),
        default=list,
        blank=True,
        help_text=_("Patient-level KPIs whose frozen values suggest a score, e.g. KPI6, KPI8. Empty: organisational."),
    )
    domains = ArrayField(
        models.CharField(max_length=20, choices=DOMAIN_CHOICES),
        verbose_name=_("domains scored"),
        help_text=_("The domains in which this standard is scored."),
    )
    intent = models.TextField(_("intent"))
    bronze_asks = models.TextField(_("bronze asks"))
    silver_asks = models.TextField(_("silver asks"))
    gold_asks = models.TextField(_("gold asks"))
    official_wording_held = models.BooleanField(
        _("official IOF wording held"),
        default=False,
        help_text=_("Off: the texts are the registry's summary; IOF's official criteria are not held here."),
    )

    class Meta:
        ordering = ["catalogue", "number"]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        constraints = [models.UniqueConstraint(fields=["catalogue", "number"], name="standard_once_per_catalogue")]

    def __str__(self):
        return f"{self.number}. {self.name}"

    @property
    def is_organisational(self) -> bool:
        return not self.kpi_codes

    @cached_property
    def _texts_by_language(self) -> dict[str, StandardText]:
        return {text.language: text for text in self.texts.all()}

    # The texts in the reader's language (StandardText), each falling back to the English one.
    def _in_language(self, field: str) -> str:
        text = self._texts_by_language.get(translation.get_language() or settings.LANGUAGE_CODE)
        return getattr(text, field, "") or getattr(self, field)

    local_name = InReadersLanguage()
    local_intent = InReadersLanguage()
    local_bronze_asks = InReadersLanguage()
    local_silver_asks = InReadersLanguage()
    local_gold_asks = InReadersLanguage()

    def local_asks(self, score: int) -> str:
        field = {1: "bronze_asks", 2: "silver_asks", 3: "gold_asks"}.get(score)
        return self._in_language(field) if field else ""


class StandardText(models.Model):
    """A standard's texts in one language other than English. IOF staff may correct a translation
    of a published version: the English text, the numbers, KPIs and domains stay as published.
    An empty text falls back to the English one."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(
        _("language"), max_length=10, choices=[(code, name) for code, name in settings.LANGUAGES if code != "en"]
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    intent = models.TextField(_("intent"), blank=True)
    bronze_asks = models.TextField(_("bronze asks"), blank=True)
    silver_asks = models.TextField(_("silver asks"), blank=True)
    gold_asks = models.TextField(_("gold asks"), blank=True)

    class Meta:
        ordering = ["standard", "language"]
        verbose_name = _("standard's translation")
        verbose_name_plural = _("standards' translations")
        constraints = [models.UniqueConstraint(fields=["standard", "language"], name="standard_text_once_per_language")]

    def __str__(self):
        return f"{self.standard} [{self.language}]"


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    RECONCILIATION = "reconciliation", _("Reconciliation")
    DECISION = "decision", _("Awaiting decision")
    RECOGNISED = "recognised", _("Recognised")
    NOT_RECOGNISED = "not_recognised", _("Not recognised")


class Application(ProgrammeOwnedModel):
    """A programme's application for recognition, with the KPI figures frozen into it."""

    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.PROTECT, related_name="applications")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    # The iof-2020 machine-readable result (kpis.md) for the period, as of ``frozen_as_of``.
    frozen_kpis = models.JSONField(_("frozen KPI figures"))
    frozen_as_of = models.DateField(_("KPIs as of"))
    frozen_at = models.DateTimeField(_("KPIs frozen at"))
    domains = ArrayField(
        models.CharField(max_length=20, choices=DOMAIN_CHOICES),
        verbose_name=_("domains served"),
        default=list,
        blank=True,
    )
    # Optimistic lock for the application's own fields (period, domains, state).
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_due = models.DateField(_("reviews due"), null=True, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=LEVEL_CHOICES, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            # One application in progress per programme: a second would split the reviewers' work.
            models.UniqueConstraint(
                fields=["programme"],
                condition=~models.Q(state__in=["recognised", "not_recognised"]),
                name="one_open_application_per_programme",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")), name="application_period"
            ),
        ]

    def __str__(self):
        return f"{self.programme} ({self.period_start:%b %Y}–{self.period_end:%b %Y})"

    @property
    def is_editable(self) -> bool:
        return self.state == State.DRAFT

    def kpi(self, code: str) -> dict | None:
        return next((k for k in self.frozen_kpis.get("kpis", []) if k["code"] == code), None)

    @cached_property
    def standards(self) -> list[Standard]:
        return list(self.catalogue.standards.prefetch_related("texts"))

    def scores_pair(self, standard: int, domain: str) -> bool:
        """Whether (standard, domain) is one of ``pairs()``, in one light query (a reviewer's
        autosave asks it for each score)."""
        return (
            domain in self.domains
            and self.catalogue.standards.filter(number=standard, domains__contains=[domain]).exists()
        )

    def pairs(self) -> list[tuple[Standard, str]]:
        """The (standard, domain) pairs this application is scored on: the domains it serves."""
        return [
            (standard, domain)
            for domain in scoring.DOMAINS
            if domain in self.domains
            for standard in self.standards
            if domain in standard.domains
        ]


class Answer(models.Model):
    """The programme's answer for one (standard, domain) pair."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="answers")
    standard = models.PositiveSmallIntegerField()
    domain = models.CharField(max_length=20, choices=DOMAIN_CHOICES)
    text = models.TextField(_("answer"), blank=True, max_length=4000)
    claimed_score = models.PositiveSmallIntegerField(
        _("level you claim"), null=True, blank=True, validators=SCORE_VALIDATORS
    )
    version = models.PositiveIntegerField(default=1)  # per answer: two leads on different standards both save
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["application", "standard", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["application", "standard", "domain"], name="answer_once_per_pair"),
        ]

    def __str__(self):
        return f"{self.application_id}: {self.standard}/{self.domain}"


class EvidenceFile(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    standard = models.PositiveSmallIntegerField()
    domain = models.CharField(max_length=20, choices=DOMAIN_CHOICES)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(storage=private_storage, upload_to="evidence/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["standard", "domain", "uploaded_at"]

    def __str__(self):
        return self.original_name


class ReviewAssignment(models.Model):
    """One reviewer's review of one application: the object-scoped grant reviewers act through."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    due_date = models.DateField(_("due"))
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assigned_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="reviewer_once_per_application"),
        ]

    def __str__(self):
        return f"{self.reviewer} on {self.application_id}"

    @property
    def is_overdue(self) -> bool:
        return self.submitted_at is None and self.due_date < timezone.localdate()


class Score(models.Model):
    assignment = models.ForeignKey(ReviewAssignment, on_delete=models.CASCADE, related_name="scores")
    standard = models.PositiveSmallIntegerField()
    domain = models.CharField(max_length=20, choices=DOMAIN_CHOICES)
    score = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    comment = models.TextField(blank=True, max_length=4000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "standard", "domain"], name="score_once_per_pair"),
            models.CheckConstraint(condition=models.Q(score__lte=3), name="score_0_to_3"),
        ]

    def __str__(self):
        return f"{self.standard}/{self.domain}: {self.score}"


class Adjudication(models.Model):
    """IOF staff's score for a pair the two reviewers scored more than one level apart."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="adjudications")
    standard = models.PositiveSmallIntegerField()
    domain = models.CharField(max_length=20, choices=DOMAIN_CHOICES)
    score = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    comment = models.TextField(max_length=4000)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "standard", "domain"], name="adjudication_once_per_pair"),
            models.CheckConstraint(condition=models.Q(score__lte=3), name="adjudication_0_to_3"),
        ]

    def __str__(self):
        return f"{self.standard}/{self.domain}: {self.score}"


class Transition(models.Model):
    """Every change of an application's state: who, when, from, to, comment. Append-only."""

    APPEND_ONLY = ()  # programmes/append_only.py: no column may change

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=State.choices)
    # Empty for the registry's own moves (services.SYSTEM: a step that follows from another).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_state or '-'} → {self.to_state}"


def new_verification_code() -> str:
    return secrets.token_urlsafe(18)


class Recognition(ProgrammeOwnedModel):
    """A decided level: what the certificate, the public map and mentorship read."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="recognition")
    level = models.CharField(max_length=10, choices=LEVEL_CHOICES[:3])
    decided_at = models.DateTimeField()
    valid_until = models.DateField()
    verification_code = models.CharField(max_length=40, unique=True, default=new_verification_code, editable=False)
    certificate_pdf = models.BinaryField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    reminder_90_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_30_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["valid_until"], name="recognition_valid_until")]

    def __str__(self):
        return f"{self.programme} {self.level} until {self.valid_until}"

    def status_on(self, day) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.valid_until < day else "valid"
