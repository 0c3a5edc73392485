from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("Patients")

    def ready(self):
        from patients import rules
        from patients.activity import audit_activity
        from programmes.activity import register_source
        from programmes.labels import register

        register_source(audit_activity)
        register("fracture_site", rules.VALUE_LABELS["fracture_site"])
        register("mechanism", rules.VALUE_LABELS["mechanism"])
        register("sex", rules.VALUE_LABELS["sex"])
        register("spine_detection", rules.VALUE_LABELS["spine_detection"])
        # Where a change came from, as the audit trail says it.
        register(
            "change_source",
            {
                "form": _("the form"),
                "api": _("the API"),
                "admin": _("the admin"),
                "command": _("a command"),
                "upload": _("a CSV upload"),
                "demo": _("the demo data"),
                "case_finding": _("case finding"),
            },
        )
