from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class RegistryAdminSite(admin.AdminSite):
    """The admin is IOF staff's desk: programmes, people, invitations. Patient rows are not in it."""

    site_header = _("FLS registry administration")
    site_title = _("FLS registry admin")
    index_title = _("IOF staff")

    def has_permission(self, request):
        from programmes.authority import Capability, authority_for

        return authority_for(request.user).can(Capability.ADMIN_SITE)
