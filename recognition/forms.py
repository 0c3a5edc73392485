from django import forms
from django.utils.translation import gettext_lazy as _

from programmes.inputs import DateInRange
from recognition.models import DOMAIN_CHOICES


class StartForm(forms.Form):
    period_start = DateInRange(
        label=_("First month of the 12-month period"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("The figures of the 12 months from this month are frozen into the application."),
    )
    domains = forms.MultipleChoiceField(
        label=_("Domains the programme serves"),
        choices=DOMAIN_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class DomainsForm(forms.Form):
    domains = forms.MultipleChoiceField(
        label=_("Domains the programme serves"),
        choices=DOMAIN_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("A domain the programme does not serve is not applicable: it is not scored, and not a fail."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class EvidenceForm(forms.Form):
    pair = forms.CharField(widget=forms.HiddenInput)
    file = forms.FileField(label=_("Evidence file (PDF, PNG or JPEG, at most 10 MB)"))


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class AssignForm(forms.Form):
    reviewer = forms.IntegerField(widget=forms.HiddenInput)
    due_date = DateInRange(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
