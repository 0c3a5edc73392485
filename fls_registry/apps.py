from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class RegistryAdminConfig(AdminConfig):
    default_site = "fls_registry.admin.RegistryAdminSite"


class FlsRegistryConfig(AppConfig):
    name = "fls_registry"
    verbose_name = _("FLS registry")
