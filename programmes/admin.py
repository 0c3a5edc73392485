"""IOF staff's desk in the admin: programmes, people, memberships, invitations, the access log.

The admin never writes around the services: every page asks ``programmes.authority`` what the
user may do, and every save calls the same service as the registry's own pages, so the audit rows,
the last-lead rule and the data-changed marks hold here too. Global roles are granted on
``/staff/roles/`` (or by invitation), not by ticking boxes on a user.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from programmes import rls, services
from programmes.authority import Capability, authority_for
from programmes.forms import add_refusal
from programmes.models import AccessEvent, ExpectedCaseload, Invitation, Membership, Programme, Role

C = Capability


class AuthorityAdmin(admin.ModelAdmin):
    """A model admin whose permissions are the resolver's answer, not Django's permission tables.

    ``view_capability`` opens the pages; ``change_capability`` (default: the same) allows adding and
    changing, each only if the admin allows it at all (``allow_add``, ``allow_change``, ``allow_delete``).
    """

    view_capability = C.PROGRAMMES_MANAGE
    change_capability = None
    allow_add = allow_change = allow_delete = True

    def may(self, request, capability) -> bool:
        return authority_for(request.user).can(capability)

    def _may_change(self, request) -> bool:
        return self.may(request, self.change_capability or self.view_capability)

    def has_module_permission(self, request):
        return self.may(request, self.view_capability)

    def has_view_permission(self, request, obj=None):
        return self.may(request, self.view_capability)

    def has_add_permission(self, request, *args):
        return self.allow_add and self._may_change(request)

    def has_change_permission(self, request, obj=None):
        return self.allow_change and self._may_change(request)

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and self._may_change(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return form_for(form, request.user) if issubclass(form, ActorForm) else form


class ActorForm(forms.ModelForm):
    """A model form that knows who is acting, so that its ``clean`` can ask the services' checks."""

    actor = None


def form_for(form_class, actor):
    return type(form_class.__name__, (form_class,), {"actor": actor})


# --- Programmes ------------------------------------------------------------------------------


class ExpectedCaseloadInline(admin.TabularInline):
    model = ExpectedCaseload
    extra = 0
    fields = ["year", "non_spine", "spine"]

    def has_view_permission(self, request, obj=None):
        return authority_for(request.user).can(C.PROGRAMMES_MANAGE)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class MembershipInline(admin.TabularInline):
    """Who belongs to the programme (read-only here: add and change members under Memberships)."""

    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return authority_for(request.user).can(C.PROGRAMMES_MANAGE)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProgrammeAdminForm(ActorForm):
    class Meta:
        model = Programme
        fields = sorted(services.ADMIN_EDITABLE)


@admin.register(Programme)
class ProgrammeAdmin(AuthorityAdmin):
    form = ProgrammeAdminForm
    allow_delete = False  # a programme's records stay: set it inactive instead
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
    actions = None
    fieldsets = [
        (None, {"fields": ["name", "slug", "institution", "status", "kpi_set"]}),
        (_("Location"), {"fields": ["country", "city", "latitude", "longitude", "time_zone"]}),
        (_("Service"), {"fields": ["care_setting", "languages", "public_profile"]}),
        (_("Record"), {"fields": ["data_changed_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.ADMIN_EDITABLE if name in form.cleaned_data}
        if change:
            services.programme_update(programme=obj, actor=request.user, **fields)
        else:
            obj.pk = services.programme_create(actor=request.user, **fields).pk

    def save_formset(self, request, form, formset, change):
        """Caseload rows go through the service: audited, and the programme's KPIs are recomputed.
        Memberships are read-only here (changed under Memberships)."""
        # What the admin's change message reads; the services below write the real record.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not ExpectedCaseload:
            return
        programme = form.instance
        for inline_form in formset.forms:
            if not hasattr(inline_form, "cleaned_data") or not inline_form.cleaned_data:
                continue
            data = inline_form.cleaned_data
            stored = inline_form.instance if inline_form.instance.pk else None
            if data.get("DELETE"):
                if stored is not None:
                    services.expected_caseload_remove(programme=programme, year=stored.year, actor=request.user)
                continue
            if stored is not None and not inline_form.has_changed():
                continue
            if stored is not None and stored.year != data["year"]:
                services.expected_caseload_remove(programme=programme, year=stored.year, actor=request.user)
            services.expected_caseload_set(
                programme=programme,
                year=data["year"],
                non_spine=data["non_spine"],
                spine=data["spine"],
                actor=request.user,
            )


# --- Memberships -----------------------------------------------------------------------------


class MembershipAdminForm(ActorForm):
    class Meta:
        model = Membership
        fields = ["user", "programme", "role"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            if self.instance.pk:
                services.membership_set_role_check(actor=self.actor, membership=self.instance, role=data["role"])
            else:
                services.membership_grant_check(
                    actor=self.actor, user=data["user"], programme=data["programme"], role=data["role"]
                )
        except (ValidationError, PermissionDenied) as exc:
            add_refusal(self, exc)
        return data


@admin.register(Membership)
class MembershipAdmin(AuthorityAdmin):
    form = MembershipAdminForm
    list_display = ["user", "programme", "role", "created_at"]
    list_filter = ["role", "programme__country"]
    search_fields = ["user__email", "user__full_name", "programme__name", "programme__slug"]
    autocomplete_fields = ["user", "programme"]
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return ["user", "programme"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == Role.LEAD:
            others = Membership.objects.filter(programme_id=obj.programme_id, role=Role.LEAD).exclude(pk=obj.pk)
            if not others.exists():
                return False  # a programme keeps at least one lead
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            services.membership_set_role(membership=obj, role=form.cleaned_data["role"], actor=request.user)
        else:
            created = services.membership_grant(
                actor=request.user,
                user=form.cleaned_data["user"],
                programme=form.cleaned_data["programme"],
                role=form.cleaned_data["role"],
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, actor=request.user)


# --- Invitations and the access log: read-only ----------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(AuthorityAdmin):
    """Invitations carry a token that must be e-mailed: they are sent from the Invitations page."""

    view_capability = C.INVITE_ANYONE
    allow_add = allow_change = allow_delete = False
    list_display = ["email", "programme", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "accepted_at", "revoked_at"]
    search_fields = ["email", "programme__name"]
    actions = ["withdraw"]

    @admin.action(description=_("Withdraw the selected pending invitations"))
    def withdraw(self, request, queryset):
        withdrawn = 0
        for invitation in queryset.filter(accepted_at=None, revoked_at=None):
            services.invitation_revoke(invitation=invitation, actor=request.user)
            withdrawn += 1
        self.message_user(
            request,
            ngettext("%(n)s invitation withdrawn.", "%(n)s invitations withdrawn.", withdrawn) % {"n": withdrawn},
        )


class ScopeFilter(admin.SimpleListFilter):
    title = _("scope")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("global", _("global (no programme)")), ("programme", _("a programme"))]

    def queryset(self, request, queryset):
        if self.value() == "global":
            return queryset.filter(programme__isnull=True)
        if self.value() == "programme":
            return queryset.filter(programme__isnull=False)
        return queryset


@admin.register(AccessEvent)
class AccessEventAdmin(AuthorityAdmin):
    view_capability = C.AUDIT_READ_ALL
    allow_add = allow_change = allow_delete = False
    list_display = ["created_at", "programme", "actor", "action", "subject"]
    list_filter = [ScopeFilter, "action"]
    search_fields = ["programme__name", "actor__email", "subject__email"]
    actions = None

    def get_queryset(self, request):
        rls.activate_all_programmes(rls.Reason.ADMINISTRATION)  # system administrators only
        return AccessEvent.objects.all_programmes().select_related("programme", "actor", "subject")


# --- People ----------------------------------------------------------------------------------


class UserAdminForm(ActorForm):
    class Meta:
        model = get_user_model()
        fields = ["full_name", "country", "is_active"]

    def clean(self):
        data = super().clean()
        if self.has_changed():
            try:
                services.account_check(actor=self.actor, user=self.instance)
            except PermissionDenied as exc:
                add_refusal(self, exc)
        return data


class OperatorPasswordForm(AdminPasswordChangeForm):
    """An operator sets a password: no "disable password login" choice, both fields required."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = self.fields["password2"].required = True


@admin.register(get_user_model())
class UserAdmin(DjangoUserAdmin, AuthorityAdmin):
    """People: IOF staff correct names and deactivate or reactivate accounts (audited). Nobody adds
    or deletes people here (they join by invitation; deactivation keeps their records), and only
    a system administrator sets another person's password."""

    view_capability = C.PEOPLE_MANAGE
    allow_add = allow_delete = False
    form = UserAdminForm
    change_password_form = OperatorPasswordForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_reviewer", "is_iof_staff", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_reviewer", "is_iof_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["email", "global_roles_display", "last_login", "date_joined"]
    filter_horizontal: list = []
    actions = None

    def get_fieldsets(self, request, obj=None):
        account = ["email", "full_name", "country", "is_active"]
        if obj is not None and self.may(request, C.ACCOUNTS_SECURITY) and obj.pk != request.user.pk:
            account.append("password_link")
        return [
            (None, {"fields": account}),
            (_("Global roles"), {"fields": ["global_roles_display"]}),
            (_("Dates"), {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and self.may(request, C.ACCOUNTS_SECURITY) and obj.pk != request.user.pk:
            fields.append("password_link")
        return fields

    @admin.display(description=_("global roles"))
    def global_roles_display(self, obj):
        roles = ", ".join(str(role.label) for role in obj.global_roles) or _("none")
        return format_html(
            '{} — <a href="{}">{}</a>', roles, reverse("staff_roles"), _("grant or revoke on the Global roles page")
        )

    @admin.display(description=_("password"))
    def password_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:auth_user_password_change", args=[obj.pk]),
            _("Set a new password"),
        )

    def save_model(self, request, obj, form, change):
        if {"full_name", "country"} & set(form.changed_data):
            services.account_update(
                actor=request.user,
                user=obj,
                full_name=form.cleaned_data["full_name"],
                country=form.cleaned_data["country"],
            )
        if "is_active" in form.changed_data:
            services.account_set_active(actor=request.user, user=obj, active=form.cleaned_data["is_active"])

    def user_change_password(self, request, id, form_url=""):
        """Only a system administrator sets another person's password, through the audited service."""
        if not self.may(request, C.ACCOUNTS_SECURITY):
            raise PermissionDenied
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if user.pk == request.user.pk:
            raise PermissionDenied  # one's own password: "Change password" on the account page
        if request.method == "POST":
            form = self.change_password_form(user, request.POST)
            if form.is_valid():
                services.account_password_set(actor=request.user, user=user, password=form.cleaned_data["password1"])
                messages.success(request, _("The password of %(email)s was set.") % {"email": user.email})
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)
