from django import forms
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _

from accounts.clock import offered_zones
from accounts.models import GlobalRole
from clinical.kpi_sets import KPI_SET_CHOICES
from programmes.inputs import DateInRange, language_codes_in
from programmes.labels import choices as labelled_choices
from programmes.labels import language_codes
from programmes.models import (
    ALL_ROLES,
    CASELOAD_YEARS,
    MAX_EXPECTED_FRACTURES,
    CareSetting,
    Invitation,
    Programme,
    Role,
)


class LanguagesField(forms.MultipleChoiceField):
    """Languages picked from a list named in the reader's language (a programme's, a champion's
    teaching, a candidate site's). A list of codes typed or sent by a script ("ru;en") is read too."""

    widget = forms.SelectMultiple(attrs={"size": 6})
    default_error_messages = {
        "invalid_choice": _("%(value)s is not a language the registry knows: choose the languages from the list."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Choose one or more (hold Ctrl, or ⌘ on a Mac, to choose several)."))
        super().__init__(choices=lambda: labelled_choices("language", language_codes()), **kwargs)

    def to_python(self, value):
        if not value:
            return []
        items = [value] if isinstance(value, str) else value
        return language_codes_in(";".join(str(item) for item in items))


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.COORDINATOR)


class StaffInvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.order_by("name"),
        required=False,
        help_text=_("Leave empty to invite an IOF reviewer or IOF staff member."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Invitation.Kind.choices)

    def clean(self):
        data = super().clean()
        programme, role = data.get("programme"), data.get("role")
        if programme is not None and role not in ALL_ROLES:
            self.add_error("role", _("With a programme, choose coordinator, lead or viewer."))
        if programme is None and role in ALL_ROLES:
            self.add_error("programme", _("Choose the programme this person joins as %(role)s.") % {"role": role})
        return data


class GlobalRoleForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person"), help_text=_("They must have an account."))
    role = forms.ChoiceField(label=_("Global role"))
    grant = forms.TypedChoiceField(
        label=_("Grant or revoke"),
        choices=[("1", _("Grant")), ("0", _("Revoke"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )

    def __init__(self, *args, may_superuser=False, **kwargs):
        super().__init__(*args, **kwargs)
        roles = [(GlobalRole.REVIEWER, GlobalRole.REVIEWER.label), (GlobalRole.IOF_STAFF, GlobalRole.IOF_STAFF.label)]
        if may_superuser:
            roles.append((GlobalRole.SUPERUSER, GlobalRole.SUPERUSER.label))
        self.fields["role"].choices = roles

    def clean_email(self):
        from django.contrib.auth import get_user_model

        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(
                _("Nobody has an account with %(email)s: invite them instead.") % {"email": email}
            )
        self.cleaned_data["user"] = user
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your full name"), max_length=200)
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput,
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class ProgrammeProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    institution = forms.CharField(label=_("Institution"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    care_setting = forms.ChoiceField(label=_("Care setting"), choices=[("", "—"), *CareSetting.choices], required=False)
    languages = LanguagesField(label=_("Languages"), required=False)
    kpi_set = forms.ChoiceField(
        label=_("KPI set"), choices=KPI_SET_CHOICES, help_text=_("The KPI definitions the dashboard and reports use.")
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_('Decides the programme\'s "today": KPI dates, "not after today", due dates.'),
    )
    record_number_system = forms.CharField(
        label=_("Record number system"),
        max_length=255,
        required=False,
        help_text=_(
            "Case finding: the FHIR identifier system of your hospital's record numbers. "
            "Blank: a patient's first identifier is used."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offered = offered_zones()
        current = self.initial.get("time_zone") or ""
        if current and current not in offered:
            offered = [current, *offered]  # an old alias stored before keeps working
        self.fields["time_zone"].choices = [("", "—")] + [(name, name.replace("_", " ")) for name in offered]

    def clean(self):
        data = super().clean()
        if not data.get("time_zone"):
            data.pop("time_zone", None)  # not given: the stored zone stays
        return data

    @classmethod
    def initial_for(cls, programme: Programme) -> dict:
        return {
            "kpi_set": programme.kpi_set,
            "name": programme.name,
            "institution": programme.institution,
            "city": programme.city,
            "care_setting": programme.care_setting,
            "languages": list(programme.languages),
            "time_zone": programme.time_zone,
            "record_number_system": programme.record_number_system,
        }


class AccessLogFilterForm(forms.Form):
    """The access log's filters (a GET form on the Team page)."""

    action = forms.ChoiceField(label=_("What"), required=False)
    who = forms.CharField(label=_("Who (name or e-mail)"), required=False, max_length=100)
    since = DateInRange(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = DateInRange(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        from programmes.models import AccessEvent

        super().__init__(*args, **kwargs)
        from programmes.activity import CHANGED

        self.fields["action"].choices = [
            ("", _("Anything")),
            (CHANGED, _("Patient data changed")),
            *AccessEvent.Action.choices,
        ]


class ExpectedCaseloadForm(forms.Form):
    year = forms.IntegerField(
        label=_("Calendar year"), min_value=CASELOAD_YEARS.start, max_value=CASELOAD_YEARS.stop - 1
    )
    non_spine = forms.IntegerField(
        label=_("Expected non-spine fractures"), min_value=0, max_value=MAX_EXPECTED_FRACTURES
    )
    spine = forms.IntegerField(label=_("Expected spine fractures"), min_value=0, max_value=MAX_EXPECTED_FRACTURES)


def refusal_messages(request, exc: DjangoValidationError | PermissionDenied) -> None:
    """A service's refusal as page messages (for actions that are not a form)."""
    from django.contrib import messages

    for message in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, message)


def add_refusal(form, exc: DjangoValidationError | PermissionDenied) -> None:
    """A service's refusal on a form: field errors where they belong, the rest at the top."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
