"""Forms parse input only; every rule lives in ``patients.rules`` and is applied by the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from patients import rules

BLANK = [("", _("— not recorded —"))]
PATHWAY = [
    (
        _("Identify"),
        [
            "patient_ref",
            "sex",
            "birth_date",
            "fracture_date",
            "fracture_site",
            "mechanism",
            "spine_detection",
            "identification_date",
        ],
    ),
    (_("Investigate"), ["fls_assessment", "fls_assessment_date", "dxa", "dxa_date", "falls_assessment"]),
    (_("Treat"), ["aom_recommended", "aom_drug", "aom_started", "aom_started_date", "sb_started", "sb_started_date"]),
    (_("Monitor"), ["first_followup_date", "second_followup_date", "aom_at_52w", "death_date"]),
]
HELP = {
    "patient_ref": _("The hospital's own number for the patient; 1-64 characters."),
    "birth_date": _("The patient must be 50 or over on the fracture date."),
    "mechanism": _(
        "Optional. A fall from standing height or less makes it a fragility fracture; a high-energy injury "
        "is outside the FLS's scope."
    ),
    "spine_detection": _("Only for spine fractures: found clinically, or on imaging done for another reason."),
    "dxa": _("'not required' when a clinician decided no scan was needed."),
    "falls_assessment": _("'referred' counts: the FLS referred the patient to a falls service."),
    "aom_drug": _("Only when medication is recommended."),
    "first_followup_date": _("Due by 16 weeks after the fracture."),
    "second_followup_date": _("Due at 52 weeks; after the first follow-up."),
}


class EpisodeForm(forms.Form):
    """Every CSV column as text: the domain layer parses and judges the values."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, patient_locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in rules.COLUMNS:
            label = rules.LABELS[name]
            attrs = {"aria-describedby": f"err-{name}"}
            if name in rules.ENUMS:
                # A select for the person, plain text for the form: the domain judges the value,
                # so a forged or mistyped value gets the same message as in a CSV file.
                choices = BLANK + rules.choices(name)
                field = forms.CharField(label=label, required=False, widget=forms.Select(attrs=attrs, choices=choices))
            elif name in rules.DATE_FIELDS:
                field = forms.CharField(
                    label=label, required=False, widget=forms.DateInput(attrs={**attrs, "type": "date"})
                )
            else:
                field = forms.CharField(
                    label=label, required=False, widget=forms.TextInput(attrs={**attrs, "autocomplete": "off"})
                )
            field.help_text = HELP.get(name, "")
            if name in rules.REQUIRED:
                field.widget.attrs["aria-required"] = "true"
            if patient_locked and name in rules.PATIENT_FIELDS:
                field.disabled = True
            self.fields[name] = field

    def values(self) -> dict:
        """The submitted text of every column, untouched (the services validate), blanks as ""."""
        values = {}
        for name in rules.COLUMNS:
            field = self.fields[name]
            if field.disabled or not self.is_bound:
                value = self.get_initial_for_field(field, name)
            else:
                value = self.data.get(self.add_prefix(name), "")
            values[name] = "" if value is None else str(value)
        return values

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in PATHWAY]

    def add_domain_errors(self, errors) -> None:
        for error in errors:
            self.add_error(error.field if error.field in self.fields else None, error.message)


class PatientForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    patient_ref = forms.CharField(label=rules.LABELS["patient_ref"], max_length=200)
    sex = forms.ChoiceField(label=rules.LABELS["sex"], choices=rules.choices("sex"))
    birth_date = forms.CharField(label=rules.LABELS["birth_date"], widget=forms.DateInput(attrs={"type": "date"}))


class DeleteEpisodeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Why is this episode deleted?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit trail, e.g. 'entered twice', 'wrong patient'."),
    )


class ContactForm(forms.Form):
    contact = forms.ChoiceField(choices=[("first", "first"), ("second", "second")])
    date = forms.CharField(label=_("Contact date"), widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, comma-separated, header row; the columns of the export.")
    )
