from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from programmes.models import AccessEvent, ExpectedCaseload, Invitation, Membership, Programme


class ExpectedCaseloadInline(admin.TabularInline):
    model = ExpectedCaseload
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ProgrammeAdminForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "slug",
            "institution",
            "status",
            "kpi_set",
            "country",
            "city",
            "latitude",
            "longitude",
            "care_setting",
            "languages",
            "public_profile",
        ]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeAdminForm
    list_display = [
        "name",
        "slug",
        "institution",
        "city",
        "country",
        "status",
        "care_setting",
        "kpi_set",
        "member_count",
    ]
    list_filter = ["status", "care_setting", "country", "kpi_set"]
    search_fields = ["name", "slug", "institution", "city"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["data_changed_at", "created_at", "updated_at"]
    inlines = [MembershipInline, ExpectedCaseloadInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "institution", "status", "kpi_set"]}),
        (_("Location"), {"fields": ["country", "city", "latitude", "longitude"]}),
        (_("Service"), {"fields": ["care_setting", "languages", "public_profile"]}),
        (_("Record"), {"fields": ["data_changed_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "programme", "role", "created_at"]
    list_filter = ["role", "programme__country"]
    search_fields = ["user__email", "user__full_name", "programme__name", "programme__slug"]
    autocomplete_fields = ["user", "programme"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "programme", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "accepted_at", "revoked_at"]
    search_fields = ["email", "programme__name"]
    readonly_fields = ["email", "programme", "role", "invited_by", "created_at", "accepted_at", "accepted_by"]
    fields = [
        "email",
        "programme",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]

    def has_add_permission(self, request):
        # Invitations carry a token that must be e-mailed: create them from the Invitations page.
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "programme", "actor", "action"]
    list_filter = ["action"]
    search_fields = ["programme__name", "actor__email"]

    def get_queryset(self, request):
        return AccessEvent.objects.all_programmes().select_related("programme", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
