"""Episodes in the admin: for the system's superusers (hospital IT), never for IOF staff.

The admin form is text in, ``patients.rules`` judging, services writing: the same messages as the
form, the CSV import and the API, the same audit rows and version checks.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from patients import rules, services
from patients.models import AuditEntry, Episode
from programmes import rls
from programmes.authority import Capability, authority_for


class EpisodeAdminForm(forms.ModelForm):
    class Meta:
        model = Episode
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        episode = self.instance if self.instance.pk else None
        stored = episode.values() if episode else {}
        for name in rules.COLUMNS:
            value = stored.get(name)
            self.fields[name] = forms.CharField(
                label=rules.LABELS[name],
                required=False,
                initial=rules.as_text(value),
                disabled=bool(episode) and name in rules.PATIENT_FIELDS,
            )
        self.fields["programme_slug"] = forms.CharField(
            required=not episode, disabled=bool(episode), initial=episode.programme.slug if episode else ""
        )
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, initial=episode.version if episode else None
        )

    def _post_clean(self):
        """No model validation here: the domain layer has judged the values in ``clean``."""

    def clean(self):
        data = super().clean()
        from programmes.models import Programme

        programme = (
            self.instance.programme
            if self.instance.pk
            else Programme.objects.filter(slug=data.get("programme_slug")).first()
        )
        if programme is None:
            raise ValidationError({"programme_slug": "no programme with this slug"})
        values = {name: data.get(name) or "" for name in rules.COLUMNS}
        errors = services.episode_check(
            programme=programme, values=values, episode=self.instance if self.instance.pk else None
        )
        for error in errors:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        self.programme = programme
        self.values = values
        return data


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    form = EpisodeAdminForm
    list_display = ["patient", "programme", "fracture_date", "fracture_site", "version", "updated_at"]
    list_filter = ["fracture_site", "programme"]
    search_fields = ["patient__patient_ref"]
    list_select_related = ["patient", "programme"]
    actions = None

    def get_queryset(self, request):
        rls.activate_all_programmes(rls.Reason.ADMINISTRATION)  # system administrators only
        return Episode.objects.all_programmes().select_related("patient", "programme")

    def get_fields(self, request, obj=None):
        return ["programme_slug", *rules.COLUMNS, "version"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The form's fields are the CSV columns, not the model's: no model form factory.
        return EpisodeAdminForm

    def has_module_permission(self, request):
        return authority_for(request.user).can(Capability.PATIENTS_ADMIN)

    def has_view_permission(self, request, obj=None):
        return authority_for(request.user).can(Capability.PATIENTS_ADMIN)

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False  # deletion needs a reason: the episode page does it

    def save_model(self, request, obj, form, change):
        if change:
            services.episode_update(
                episode=obj,
                actor=request.user,
                values=form.values,
                expected_version=form.cleaned_data.get("version") or obj.version,
                source="admin",
            )
        else:
            created = services.episode_create(
                programme=form.programme, actor=request.user, values=form.values, source="admin"
            )
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "programme", "entity", "entity_id", "action", "actor", "source"]
    list_filter = ["entity", "action", "source"]

    def get_queryset(self, request):
        rls.activate_all_programmes(rls.Reason.ADMINISTRATION)  # system administrators only
        return AuditEntry.objects.all_programmes().select_related("programme", "actor")

    def has_module_permission(self, request):
        return authority_for(request.user).can(Capability.PATIENTS_ADMIN)

    def has_view_permission(self, request, obj=None):
        return authority_for(request.user).can(Capability.PATIENTS_ADMIN)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
