"""Access control for programme pages and API endpoints.

Every view under ``/p/<programme_slug>/`` and every endpoint under
``/api/v1/programmes/<programme_slug>/`` inherits one of the two bases below. They resolve the
programme and the membership once (``request.programme_access``), before any handler runs:

- anonymous: the login page (pages) or 401/403 (API);
- not a member, or no such programme: 404, the same answer for both;
- a member whose role is not allowed for the HTTP method: 403.

A view declares the capability each method needs (``read_capability`` for GET/HEAD/OPTIONS,
``write_capability`` for the rest); ``programmes.authority`` says which roles hold it.
``roles_for(method)`` is what the self-growing tenancy test reads to find a role to refuse.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views import View
from rest_framework import exceptions
from rest_framework.views import APIView

from programmes.authority import Capability, authority_for, roles_holding
from programmes.tenancy import resolve_programme_access

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ProgrammeRoles:
    """What a view needs: ``read_capability`` for safe methods, ``write_capability`` for the rest."""

    read_capability: str = Capability.PROGRAMME_READ
    write_capability: str = Capability.PATIENTS_WRITE

    @classmethod
    def capability_for(cls, method: str) -> str:
        return cls.read_capability if method.upper() in SAFE_METHODS else cls.write_capability

    @classmethod
    def roles_for(cls, method: str) -> frozenset:
        """The programme roles that may use this method (read by the tenancy tests)."""
        return roles_holding(cls.capability_for(method))


class ProgrammeViewMixin(ProgrammeRoles):
    """For Django class-based views under /p/<programme_slug>/."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        access = resolve_programme_access(request.user, kwargs.pop("programme_slug"))
        if not access.can(self.capability_for(request.method)):
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
        return context


class ProgrammeView(ProgrammeViewMixin, View):
    pass


class GlobalCapabilityRequired:
    """For pages outside any programme (IOF staff's desk): the user must hold ``required_capability``
    globally. Anonymous: the login page; without the capability: 403."""

    required_capability: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.authority = authority_for(request.user)
        if not self.authority.can(self.required_capability):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


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
        if not access.can(self.capability_for(request.method)):
            raise exceptions.PermissionDenied
        request.programme_access = access
        self.access = access
        self.programme = access.programme


class ProgrammeAPIView(ProgrammeAPIMixin, APIView):
    pass
