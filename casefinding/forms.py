"""Forms parse input only; the rules live in ``casefinding.rules`` and the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casefinding.models import FORMAT_CHOICES, Candidate


class FeedUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Feed file"),
        help_text=_(
            "A CSV extract, a FHIR R4 Bundle (JSON) or HL7 v2 messages, as the hospital's systems export them."
        ),
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[("", _("detect from the content")), *FORMAT_CHOICES], required=False
    )


class DismissForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *Candidate.DismissReason.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=500, help_text=_("Needed for another reason."))
