from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts import ratelimit
from programmes import activity, selectors, services
from programmes.authority import Capability
from programmes.forms import (
    AcceptInvitationForm,
    AccessLogFilterForm,
    ExpectedCaseloadForm,
    GlobalRoleForm,
    InvitationForm,
    ProgrammeProfileForm,
    RoleForm,
    StaffInvitationForm,
    add_refusal,
    refusal_messages,
)
from programmes.models import Invitation, Membership
from programmes.permissions import GlobalCapabilityRequired, ProgrammeViewMixin


class ProgrammeHomeView(ProgrammeViewMixin, TemplateView):
    template_name = "programmes/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["caseloads"] = selectors.programme_caseloads(self.programme)
        context["member_count"] = selectors.programme_members(self.programme).count()
        return context


class TeamView(ProgrammeViewMixin, TemplateView):
    """The lead's page: members and their roles, invitations, and the programme's access log."""

    template_name = "programmes/team.html"
    read_capability = Capability.TEAM_MANAGE
    write_capability = Capability.TEAM_MANAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = [
            (m, RoleForm(initial={"role": m.role}, prefix=f"m{m.pk}"))
            for m in selectors.programme_members(self.programme)
        ]
        context["invitations"] = selectors.programme_pending_invitations(self.programme)
        context["invite_form"] = kwargs.get("invite_form") or InvitationForm()
        log_filter = AccessLogFilterForm(self.request.GET or None)
        filters = log_filter.cleaned_data if log_filter.is_valid() else {}
        context["log_filter"] = log_filter
        context["access_log"] = activity.programme_activity(
            self.programme, activity.Filters(**{k: v for k, v in filters.items() if v})
        )
        context["invitation_valid_days"] = settings.INVITATION_VALID_DAYS
        return context

    def post(self, request, *args, **kwargs):
        form = InvitationForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(invite_form=form), status=400)
        try:
            _invitation, token = services.invitation_create(
                actor=request.user, programme=self.programme, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            add_refusal(form, exc)
            return self.render_to_response(self.get_context_data(invite_form=form), status=400)
        messages.success(
            request,
            _("Invitation sent to %(email)s. If the e-mail does not arrive, give them this single-use link: %(url)s")
            % {"email": form.cleaned_data["email"], "url": services.invitation_url(token)},
        )
        return redirect("programmes:team", programme_slug=self.programme.slug)


class MemberRoleView(ProgrammeViewMixin, View):
    read_capability = Capability.TEAM_MANAGE
    write_capability = Capability.TEAM_MANAGE
    http_method_names = ["post"]

    def post(self, request, membership_id):
        membership = get_object_or_404(Membership, pk=membership_id, programme=self.programme)
        form = RoleForm(request.POST, prefix=f"m{membership.pk}")
        if form.is_valid():
            try:
                services.membership_set_role(membership=membership, role=form.cleaned_data["role"], actor=request.user)
                messages.success(
                    request,
                    _("%(user)s is now %(role)s.")
                    % {"user": membership.user.display_name, "role": form.cleaned_data["role"]},
                )
            except (ValidationError, PermissionDenied) as exc:
                refusal_messages(request, exc)
        else:
            messages.error(request, _("Choose one of the roles coordinator, lead or viewer."))
        return redirect("programmes:team", programme_slug=self.programme.slug)


class MemberRemoveView(ProgrammeViewMixin, View):
    read_capability = Capability.TEAM_MANAGE
    write_capability = Capability.TEAM_MANAGE
    http_method_names = ["post"]

    def post(self, request, membership_id):
        membership = get_object_or_404(Membership, pk=membership_id, programme=self.programme)
        try:
            services.membership_remove(membership=membership, actor=request.user)
            messages.success(request, _("%(user)s no longer has access.") % {"user": membership.user.display_name})
        except (ValidationError, PermissionDenied) as exc:
            refusal_messages(request, exc)
        return redirect("programmes:team", programme_slug=self.programme.slug)


class InvitationRevokeView(ProgrammeViewMixin, View):
    read_capability = Capability.TEAM_MANAGE
    write_capability = Capability.TEAM_MANAGE
    http_method_names = ["post"]

    def post(self, request, invitation_id):
        invitation = get_object_or_404(Invitation, pk=invitation_id, programme=self.programme)
        services.invitation_revoke(invitation=invitation, actor=request.user)
        messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
        return redirect("programmes:team", programme_slug=self.programme.slug)


class ProgrammeSettingsView(ProgrammeViewMixin, TemplateView):
    """Programme details and the expected caseload per year (KPI1/KPI2 denominators)."""

    template_name = "programmes/settings.html"
    read_capability = Capability.SETTINGS_MANAGE
    write_capability = Capability.SETTINGS_MANAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["profile_form"] = kwargs.get("profile_form") or ProgrammeProfileForm(
            initial=ProgrammeProfileForm.initial_for(self.programme)
        )
        context["caseload_form"] = kwargs.get("caseload_form") or ExpectedCaseloadForm()
        context["caseloads"] = selectors.programme_caseloads(self.programme)
        return context

    def post(self, request, *args, **kwargs):
        if "save_caseload" in request.POST:
            form = ExpectedCaseloadForm(request.POST)
            if form.is_valid():
                try:
                    services.expected_caseload_set(programme=self.programme, actor=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    messages.success(request, _("Expected caseload for %(year)s saved.") % form.cleaned_data)
                    return redirect("programmes:settings", programme_slug=self.programme.slug)
            return self.render_to_response(self.get_context_data(caseload_form=form), status=400)
        form = ProgrammeProfileForm(request.POST)
        if form.is_valid():
            try:
                services.programme_update(programme=self.programme, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Programme details saved."))
                return redirect("programmes:settings", programme_slug=self.programme.slug)
        return self.render_to_response(self.get_context_data(profile_form=form), status=400)


def switch_programme(request):
    """The programme switcher's target: go to the chosen programme (its own view checks access)."""
    slug = request.GET.get("programme", "")
    if not slug:
        return redirect("home")
    if not services.SLUG_RE.match(slug) or len(slug) > 64:
        raise BadRequest(
            _("'%(slug)s' is not a programme's short name (letters, digits and hyphens).") % {"slug": slug[:70]}
        )
    return redirect("programmes:home", programme_slug=slug)


class InvitationAcceptView(View):
    template_name = "programmes/invitation_accept.html"

    def _render(self, request, *, invitation=None, form=None, error=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "invitation": invitation,
                "form": form,
                "error": error,
                "login_url": reverse("account_login") + "?next=" + request.path,
            },
            status=status,
        )

    def _lookup(self, request, token):
        """The invitation, or the page that refuses it. Unknown links count against the client:
        past ``FAILURE_LIMITS["invitation"]`` it is refused before the link is looked at."""
        if ratelimit.blocked(request, "invitation"):
            error = _("Too many unknown invitation links from this address. Try again in %(minutes)s minutes.") % {
                "minutes": ratelimit.retry_after("invitation") // 60 + 1
            }
            return None, self._render(request, error=error, status=429)
        try:
            return services.invitation_lookup(token), None
        except services.InvitationInvalid as exc:
            if exc.reason == "unknown":
                ratelimit.failed(request, "invitation")
            return None, self._render(request, error=str(exc), status=410 if exc.reason != "unknown" else 404)

    def get(self, request, token):
        invitation, refusal = self._lookup(request, token)
        if refusal:
            return refusal
        form = None if request.user.is_authenticated else AcceptInvitationForm()
        return self._render(request, invitation=invitation, form=form)

    def post(self, request, token):
        invitation, refusal = self._lookup(request, token)
        if refusal:
            return refusal
        form = None
        kwargs = {"token": token}
        if request.user.is_authenticated:
            kwargs["user"] = request.user
        else:
            form = AcceptInvitationForm(request.POST)
            if not form.is_valid():
                return self._render(request, invitation=invitation, form=form, status=400)
            kwargs.update(full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"])
        try:
            user, invitation = services.invitation_accept(**kwargs)
        except services.InvitationInvalid as exc:
            return self._render(request, invitation=invitation, form=form, error=str(exc), status=409)
        except ValidationError as exc:  # password rules
            form.add_error("password1", exc.messages)
            return self._render(request, invitation=invitation, form=form, status=400)
        if not request.user.is_authenticated:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to the FLS registry."))
        if invitation.programme_id:
            return redirect("programmes:home", programme_slug=invitation.programme.slug)
        return redirect("home")


class StaffInvitationView(GlobalCapabilityRequired, TemplateView):
    """IOF staff invite people to any programme, and reviewers and staff colleagues."""

    template_name = "programmes/staff_invitations.html"
    required_capability = Capability.INVITE_ANYONE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or StaffInvitationForm()
        context["recent"] = Invitation.objects.select_related("programme").order_by("-created_at")[:30]
        return context

    def post(self, request):
        form = StaffInvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation, token = services.invitation_create(actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                if invitation.programme_id is not None:
                    # Into a programme: e-mailed only. Shown as a link, it would let IOF staff invite an
                    # address of their own and read the programme's patients; the programme's lead sees
                    # the invitation on the Team page and can withdraw it.
                    messages.success(
                        request,
                        _(
                            "Invitation e-mailed to %(email)s. The link goes to that address only; the programme's "
                            "lead sees the invitation on the Team page and can withdraw it."
                        )
                        % {"email": form.cleaned_data["email"]},
                    )
                else:
                    messages.success(
                        request,
                        _("Invitation sent to %(email)s. Single-use link: %(url)s")
                        % {"email": form.cleaned_data["email"], "url": services.invitation_url(token)},
                    )
                return redirect("staff_invitations")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class StaffRolesView(GlobalCapabilityRequired, TemplateView):
    """IOF staff grant and revoke the reviewer and IOF staff roles (system administrators also
    superuser): through the audited services, never by ticking a box on a user."""

    template_name = "programmes/staff_roles.html"
    required_capability = Capability.GLOBAL_ROLES_GRANT

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        may_superuser = self.authority.can(Capability.SUPERUSER_GRANT)
        context["form"] = kwargs.get("form") or GlobalRoleForm(may_superuser=may_superuser)
        context["holders"] = selectors.global_role_holders(include_superusers=may_superuser)
        context["events"] = selectors.global_access_log()
        return context

    def post(self, request):
        may_superuser = self.authority.can(Capability.SUPERUSER_GRANT)
        form = GlobalRoleForm(request.POST, may_superuser=may_superuser)
        if form.is_valid():
            user, role, grant = form.cleaned_data["user"], form.cleaned_data["role"], form.cleaned_data["grant"]
            change = services.global_role_grant if grant else services.global_role_revoke
            try:
                changed = change(actor=request.user, user=user, role=role)
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                label = dict(form.fields["role"].choices)[role]
                if not changed:
                    message = _("Nothing changed: %(user)s already had that.") % {"user": user.email}
                elif grant:
                    message = _("%(user)s is now %(role)s.") % {"user": user.email, "role": label}
                else:
                    message = _("%(user)s is no longer %(role)s.") % {"user": user.email, "role": label}
                messages.success(request, message)
                return redirect("staff_roles")
        return self.render_to_response(self.get_context_data(form=form), status=400)
