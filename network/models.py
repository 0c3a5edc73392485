"""The public face's own data: what a programme chose to show, the resource library, and the benefits
calculator's parameters. Everything public is read from programme-level rows and stored aggregates."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from programmes.models import Programme
from recognition.models import private_storage


class PublicListing(models.Model):
    """A lead's choices about the programme's public face (both off until the lead turns them on)."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="public_listing")
    show_on_map = models.BooleanField(
        _("show us on the public map"),
        default=False,
        help_text=_("Recognised programmes are always on the map; this shows the programme while it is not."),
    )
    show_kpi_bands = models.BooleanField(
        _("show our KPI bands on our public profile"),
        default=False,
        help_text=_("The band (green, amber, red) of each KPI for the last full year; never a count."),
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("public listing")

    def __str__(self):
        return f"{self.programme}: map {self.show_on_map}, bands {self.show_kpi_bands}"


class ResourceKind(models.TextChoices):
    TOOLKIT = "toolkit", _("Toolkit")
    CLINICAL_STANDARD = "clinical_standard", _("Clinical standard")
    PATIENT_LEAFLET = "patient_leaflet", _("Patient leaflet")
    SLIDE_DECK = "slide_deck", _("Slide deck")
    TRAINING_COURSE = "training_course", _("Training course")
    BUSINESS_CASE = "business_case", _("Business case")
    ARTICLE = "article", _("Article")


class ResourceStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed, waiting for IOF staff")
    PUBLISHED = "published", _("Published")
    DECLINED = "declined", _("Declined")
    RETIRED = "retired", _("Retired")


# PostgreSQL's text-search configurations by language; any other language is searched word for word.
SEARCH_CONFIGS = {
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}


class Resource(models.Model):
    """One item of the resource library: an uploaded file or an external link, never both."""

    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), help_text=_("In our own words. Plain text or simple Markdown."))
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=ResourceKind.choices)
    languages = ArrayField(models.CharField(max_length=16), verbose_name=_("languages"))
    countries = ArrayField(
        models.CharField(max_length=2),
        verbose_name=_("countries"),
        default=list,
        blank=True,
        help_text=_("Empty: all."),
    )
    topics = ArrayField(models.CharField(max_length=24), verbose_name=_("topics"), default=list, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(storage=private_storage, upload_to="resources/%Y/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    last_reviewed = models.DateField(_("last reviewed"))
    status = models.CharField(max_length=12, choices=ResourceStatus.choices, default=ResourceStatus.PUBLISHED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    proposed_for = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposed_resources"
    )
    decision_note = models.TextField(blank=True)
    # The PostgreSQL text-search configuration of the resource's first language ('simple' where
    # PostgreSQL has none), and the weighted vector built with it by the service that saves.
    search_config = models.CharField(max_length=20, default="simple")
    search_vector = SearchVectorField(null=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("resource")
        indexes = [
            GinIndex(fields=["search_vector"], name="resource_search"),
            models.Index(fields=["status", "kind"], name="resource_status_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(url="") & models.Q(file="")) & ~(~models.Q(url="") & ~models.Q(file="")),
                name="resource_file_or_link",
            ),
        ]

    def __str__(self):
        return self.title


# The editable parameters (name, whether a share 0-1, upper bound).
NUMERIC_PARAMETERS = (
    ("risk_overall", True, 1),
    ("relative_risk_reduction", True, 1),
    ("hip_share", True, 1),
    ("hip_cost", False, 10**9),
    ("non_hip_cost", False, 10**9),
    ("fls_annual_cost", False, 10**9),
    ("horizon_years", False, 10),
)
PARAMETER_NAMES = tuple(name for name, _share, _bound in NUMERIC_PARAMETERS)


def _share():
    return [MinValueValidator(0), MaxValueValidator(1)]


class CalculatorParameters(models.Model):
    """A country's calculator defaults, each with its source (or none: "illustrative: set your own").

    ``sources`` maps a parameter's name to its citation (authors, year, title)."""

    country = CountryField(_("country"), unique=True)
    currency = models.CharField(_("currency"), max_length=3)
    risk_by_site = models.JSONField(
        _("subsequent fracture risk by first fracture site"),
        default=dict,
        blank=True,
        help_text=_("Share (0-1) per fracture site; sites without a value use the overall risk."),
    )
    risk_overall = models.DecimalField(
        _("subsequent fragility fracture risk within the horizon"), max_digits=5, decimal_places=4, validators=_share()
    )
    relative_risk_reduction = models.DecimalField(
        _("relative risk reduction on treatment taken"), max_digits=5, decimal_places=4, validators=_share()
    )
    hip_share = models.DecimalField(
        _("share of subsequent fractures that are hip fractures"), max_digits=5, decimal_places=4, validators=_share()
    )
    hip_cost = models.DecimalField(_("cost of a hip fracture"), max_digits=12, decimal_places=2)
    non_hip_cost = models.DecimalField(_("cost of a non-hip fracture"), max_digits=12, decimal_places=2)
    fls_annual_cost = models.DecimalField(_("annual cost of running the FLS"), max_digits=12, decimal_places=2)
    horizon_years = models.PositiveSmallIntegerField(
        _("horizon (years)"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    sources = models.JSONField(_("sources"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country"]
        verbose_name = _("calculator parameters")
        verbose_name_plural = _("calculator parameters")

    def __str__(self):
        return str(self.country.name)


class CalculatorOverride(models.Model):
    """A lead's own values for their programme (parameter name to value), over the country's."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="calculator_override")
    values = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.programme}: {sorted(self.values)}"
