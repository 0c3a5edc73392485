"""Access control for programme pages and API endpoints.

Every view under ``/p/<programme_slug>/`` and every endpoint under
``/api/v1/programmes/<programme_slug>/`` inherits one of the two bases below. They resolve the
programme and the membership once (``request.programme_access``), before any handler runs:

- anonymous: the login page (pages) or 401/403 (API);
- not a member, or no such programme: 404, the same answer for both;
- a member whose role is not allowed for the HTTP method: 403.

``roles_for(method)`` is what the self-growing tenancy test reads to find a role to refuse.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views import View
from rest_framework import exceptions
from rest_framework.views import APIView

from programmes.models import ALL_ROLES, Role
from programmes.tenancy import resolve_programme_access

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ROLES = ALL_ROLES
WRITE_ROLES = frozenset({Role.COORDINATOR, Role.LEAD})
LEAD_ROLES = frozenset({Role.LEAD})


class ProgrammeRoles:
    """Which roles may use a view: ``read_roles`` for safe methods, ``write_roles`` for the rest."""

    read_roles: frozenset = READ_ROLES
    write_roles: frozenset = WRITE_ROLES

    @classmethod
    def roles_for(cls, method: str) -> frozenset:
        return cls.read_roles if method.upper() in SAFE_METHODS else cls.write_roles


class ProgrammeViewMixin(ProgrammeRoles):
    """For Django class-based views under /p/<programme_slug>/."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        access = resolve_programme_access(request.user, kwargs.pop("programme_slug"))
        if not access.has_role(self.roles_for(request.method)):
            raise PermissionDenied
        request.programme_access = access
        self.access = access
        self.programme = access.programme
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["programme"] = self.programme
        context["role"] = self.access.role
        context["access_role_label"] = self.access.membership.get_role_display()
        context["is_lead"] = self.access.role == Role.LEAD
        context["can_write"] = self.access.role in WRITE_ROLES
        return context


class ProgrammeView(ProgrammeViewMixin, View):
    pass


class ProgrammeAPIMixin(ProgrammeRoles):
    """For DRF views and viewsets under /api/v1/programmes/<programme_slug>/."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, throttles
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated
        try:
            access = resolve_programme_access(request.user, kwargs["programme_slug"])
        except Http404:
            raise exceptions.NotFound from None
        if not access.has_role(self.roles_for(request.method)):
            raise exceptions.PermissionDenied
        request.programme_access = access
        self.access = access
        self.programme = access.programme


class ProgrammeAPIView(ProgrammeAPIMixin, APIView):
    pass
