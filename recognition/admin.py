"""The catalogue in the admin: IOF staff copy the current version into a draft, edit it, publish it.
A published version is read-only, so an application keeps exactly the catalogue it was made against."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from programmes.admin import AuthorityAdmin
from programmes.authority import authority_for
from recognition import services
from recognition.models import CatalogueVersion, Standard, StandardText
from recognition.permissions import RC


class StandardInline(admin.StackedInline):
    model = Standard
    extra = 0
    fields = [
        "number",
        "name",
        "kpi_codes",
        "domains",
        "intent",
        "bronze_asks",
        "silver_asks",
        "gold_asks",
        "official_wording_held",
    ]

    def has_view_permission(self, request, obj=None):
        return authority_for(request.user).can(RC.MANAGE)

    def has_change_permission(self, request, obj=None):
        # ``obj`` is the catalogue version: a published one never changes.
        return self.has_view_permission(request) and (obj is None or not obj.is_published)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(AuthorityAdmin):
    view_capability = RC.MANAGE
    change_capability = RC.MANAGE
    allow_add = False  # a new version starts as a copy of one (the action below)
    allow_change = True
    allow_delete = False
    list_display = ["number", "title", "published_at"]
    fields = ["number", "title", "note", "gold_threshold", "silver_threshold", "bronze_threshold", "published_at"]
    readonly_fields = ["number", "published_at"]
    inlines = [StandardInline]
    actions = ["copy_as_draft", "publish"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return self.fields
        return self.readonly_fields

    @admin.action(description=_("Copy as a new draft version"))
    def copy_as_draft(self, request, queryset):
        for catalogue in queryset:
            copy = services.catalogue_copy(catalogue=catalogue, actor=request.user)
            self.message_user(request, _("Draft version %(n)s created.") % {"n": copy.number})

    @admin.action(description=_("Publish (new applications use it)"))
    def publish(self, request, queryset):
        for catalogue in queryset:
            try:
                services.catalogue_publish(catalogue=catalogue, actor=request.user)
                self.message_user(request, _("Version %(n)s published.") % {"n": catalogue.number})
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)


@admin.register(StandardText)
class StandardTextAdmin(AuthorityAdmin):
    """The standards in each language. A translation of a published version may be corrected: it
    does not change what the standard asks (the English text, KPIs and domains stay as published)."""

    view_capability = RC.MANAGE
    change_capability = RC.MANAGE
    allow_add = True
    allow_change = True
    allow_delete = True
    list_display = ["standard", "catalogue_number", "language", "name"]
    list_filter = ["language", "standard__catalogue"]
    search_fields = ["name", "intent", "standard__name"]
    fields = ["standard", "language", "english", "name", "intent", "bronze_asks", "silver_asks", "gold_asks"]
    readonly_fields = ["english"]
    list_select_related = ["standard__catalogue"]

    @admin.display(description=_("catalogue version"))
    def catalogue_number(self, obj):
        return obj.standard.catalogue.number

    @admin.display(description=_("English text"))
    def english(self, obj):
        standard = obj.standard if obj and obj.standard_id else None
        if standard is None:
            return "—"
        text = " · ".join(
            [standard.name, standard.intent, standard.bronze_asks, standard.silver_asks, standard.gold_asks]
        )
        return format_html('<span lang="en">{}</span>', text)  # the source, in English whatever the page
