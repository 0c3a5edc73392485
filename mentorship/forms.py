from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from mentorship.models import MAX_SEATS, MAX_YEARLY_FRACTURES, BookingStatus, Topic
from programmes.forms import LanguagesField
from programmes.inputs import DateInRange, OneLine
from programmes.labels import choices as labelled_choices
from programmes.models import CareSetting


def _countries():
    """Every country, named and sorted in the reader's language (django-countries, the source of
    ``label("country", …)``), read when the form is drawn, not at start."""
    return [("", "---------"), *countries]


class OfferForm(forms.Form):
    is_open = forms.BooleanField(label=_("Offer mentorship as a champion"), required=False)
    languages = LanguagesField(label=_("Teaching languages"))
    topics = forms.MultipleChoiceField(
        label=_("Topics of strength"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    contact_name = OneLine(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    mentor_text = forms.CharField(
        label=_("Public mentor text"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CandidateProfileForm(forms.Form):
    expected_yearly_fractures = forms.IntegerField(
        label=_("Expected fragility fractures a year"), min_value=0, max_value=MAX_YEARLY_FRACTURES
    )
    accepts_interpretation = forms.BooleanField(
        label=_("We accept a training day in another language with interpretation"), required=False
    )
    contact_name = OneLine(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))


class JoinRequestForm(forms.Form):
    name = OneLine(label=_("Name of the planned FLS"), max_length=200)
    institution = OneLine(label=_("Institution"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=_countries)
    city = OneLine(label=_("City"), max_length=120)
    latitude = forms.DecimalField(label=_("Latitude"), min_value=-90, max_value=90, decimal_places=6, max_digits=9)
    longitude = forms.DecimalField(label=_("Longitude"), min_value=-180, max_value=180, decimal_places=6, max_digits=9)
    languages = LanguagesField(label=_("Languages"))
    care_setting = forms.ChoiceField(label=_("Care setting"), choices=CareSetting.choices)
    expected_yearly_fractures = forms.IntegerField(
        label=_("Expected fragility fractures a year"), min_value=0, max_value=MAX_YEARLY_FRACTURES
    )
    accepts_interpretation = forms.BooleanField(
        label=_("We accept a training day in another language with interpretation"), required=False
    )
    contact_name = OneLine(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    message = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class TrainingDayForm(forms.Form):
    date = DateInRange(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=MAX_SEATS)
    language = forms.ChoiceField(label=_("Language"))
    booking_deadline = DateInRange(label=_("Booking deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    address = OneLine(label=_("Address"), max_length=300)
    agenda = forms.CharField(label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000)

    def __init__(self, *args, languages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = labelled_choices("language", languages)


class TrainingDayEditForm(TrainingDayForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["date"]
        del self.fields["language"]


class BookingForm(forms.Form):
    candidate = forms.ChoiceField(label=_("For the candidate site"))
    attendee_name = OneLine(label=_("Attendee's name"), max_length=200)
    attendee_email = forms.EmailField(label=_("Attendee's e-mail"))

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].choices = [(p.slug, p.name) for p in candidates]


MOVES = [
    (BookingStatus.CONFIRMED, _("Confirm")),
    (BookingStatus.DECLINED, _("Decline")),
    (BookingStatus.CANCELLED, _("Cancel")),
    (BookingStatus.ATTENDED, _("Attended")),
    (BookingStatus.NO_SHOW, _("Did not attend")),
]


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=MOVES)
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"), choices=[(n, str(n)) for n in range(1, 6)], coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class DayFilterForm(forms.Form):
    language = forms.CharField(label=_("Language"), required=False, max_length=16)
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month"}), max_length=7
    )
    max_km = forms.IntegerField(label=_("Within (km of your site)"), required=False, min_value=1, max_value=40000)
    site = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
