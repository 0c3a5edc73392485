from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from mentorship.models import Topic
from network.models import NUMERIC_PARAMETERS, ResourceKind
from network.selectors import LEVELS
from network.services import ResourceInput
from patients.rules import FRACTURE_SITES
from programmes.forms import LanguagesField
from programmes.inputs import DateInRange
from programmes.labels import label
from programmes.models import CareSetting


def _codes(text: str) -> list[str]:
    return [code.strip() for code in text.replace(",", ";").split(";") if code.strip()]


class MapFilterForm(forms.Form):
    """The map's filters (a GET form: the URL keeps them, so a view can be shared)."""

    level = forms.ChoiceField(
        label=_("Recognition"),
        required=False,
        choices=lambda: [("", _("Any")), *[(level, label("level", level)) for level in LEVELS]],
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The programme's languages, or a champion's teaching."),
    )
    care_setting = forms.ChoiceField(
        label=_("Care setting"), required=False, choices=[("", _("Any")), *CareSetting.choices]
    )
    champion = forms.BooleanField(label=_("Champion sites only"), required=False)

    def __init__(self, *args, country_choices=(), language_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Any")), *country_choices]
        self.fields["language"].choices = [("", _("Any")), *language_choices]


class PublicListingForm(forms.Form):
    show_on_map = forms.BooleanField(
        label=_("Show us on the public map while we are not recognised"),
        required=False,
        help_text=_("Recognised programmes are always on the map. Candidates never are."),
    )
    show_kpi_bands = forms.BooleanField(
        label=_("Show our KPI bands of the last full year on our public profile"),
        required=False,
        help_text=_("Green, amber or red in words for each KPI; never a count, and nothing below 5 episodes."),
    )
    public_text = forms.CharField(
        label=_("Public text"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text or simple Markdown (**bold**, lists, links). Anything else is removed."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ResourceForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(
        label=_("Summary"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("What it is and who it is for, in your own words (simple Markdown allowed)."),
    )
    publisher = forms.CharField(label=_("Publisher"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    languages = LanguagesField(label=_("Languages"))
    countries = forms.CharField(
        label=_("Countries"), required=False, help_text=_("ISO codes separated by ';', e.g. IT;FR. Empty: all.")
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("PDF, DOCX, PPTX, XLSX, PNG or JPEG; give a file or a link."),
    )
    last_reviewed = DateInRange(label=_("Last reviewed"), widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["last_reviewed"].initial = timezone.localdate()

    @classmethod
    def initial_for(cls, resource) -> dict:
        return {
            "title": resource.title,
            "summary": resource.summary,
            "publisher": resource.publisher,
            "kind": resource.kind,
            "languages": list(resource.languages),
            "countries": ";".join(resource.countries),
            "topics": resource.topics,
            "url": resource.url,
            "last_reviewed": resource.last_reviewed,
            "version": resource.version,
        }

    def resource_input(self) -> ResourceInput:
        data = self.cleaned_data
        return ResourceInput(
            title=data["title"],
            summary=data["summary"],
            kind=data["kind"],
            languages=data["languages"],
            last_reviewed=data["last_reviewed"],
            publisher=data["publisher"],
            countries=_codes(data["countries"]),
            topics=data["topics"],
            url=data["url"],
        )


class ParametersForm(forms.Form):
    """The calculator's parameters: a country's defaults (IOF staff) or a programme's own values."""

    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    risk_overall = forms.DecimalField(
        label=_("Subsequent fragility fracture risk within the horizon (share)"), required=False
    )
    relative_risk_reduction = forms.DecimalField(
        label=_("Relative risk reduction on treatment taken (share)"), required=False
    )
    hip_share = forms.DecimalField(label=_("Share of subsequent fractures that are hip fractures"), required=False)
    hip_cost = forms.DecimalField(label=_("Cost of treating a hip fracture"), required=False)
    non_hip_cost = forms.DecimalField(label=_("Cost of treating a non-hip fracture"), required=False)
    fls_annual_cost = forms.DecimalField(label=_("Annual cost of running the FLS"), required=False)
    horizon_years = forms.IntegerField(label=_("Horizon (years)"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, with_sources=False, **kwargs):
        super().__init__(*args, **kwargs)
        for site in FRACTURE_SITES:
            self.fields[f"risk_{site}"] = forms.DecimalField(
                label=_("Subsequent fracture risk after a first %(site)s fracture (share)")
                % {"site": label("fracture_site", site)},
                required=False,
            )
        if with_sources:
            for name in [*(n for n, _share, _bound in NUMERIC_PARAMETERS), "risk_by_site"]:
                self.fields[f"source_{name}"] = forms.CharField(
                    label=_("Source of %(name)s")
                    % {"name": self.fields[name].label if name in self.fields else _("the risks by fracture site")},
                    required=False,
                    max_length=500,
                )

    def parameter_values(self) -> dict:
        """The filled-in values, in the shape services.parse_parameters checks."""
        data = self.cleaned_data
        values = {name: data.get(name) for name, _share, _bound in NUMERIC_PARAMETERS if data.get(name) is not None}
        if data.get("currency"):
            values["currency"] = data["currency"]
        sites = {site: data[f"risk_{site}"] for site in FRACTURE_SITES if data.get(f"risk_{site}") is not None}
        if sites:
            values["risk_by_site"] = sites
        return values

    def sources(self) -> dict:
        return {
            name.removeprefix("source_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("source_") and value
        }


class CountryForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"), choices=lambda: list(countries))  # named when drawn
