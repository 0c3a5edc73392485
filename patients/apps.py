from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("Patients")

    def ready(self):
        from patients.activity import audit_activity
        from programmes.activity import register_source

        register_source(audit_activity)
