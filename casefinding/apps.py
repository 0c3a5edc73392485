from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseFindingConfig(AppConfig):
    name = "casefinding"
    verbose_name = _("Case finding")

    def ready(self):
        from casefinding.models import Candidate
        from programmes.labels import register

        register("candidate_status", dict(Candidate.Status.choices))
        register("dismiss_reason", dict(Candidate.DismissReason.choices))
        register(
            "exclusion",
            {
                "age": _("under 50 or no valid birth date"),
                "high_energy": _("transport accident (high energy)"),
                "neoplastic": _("neoplastic (cancer in bone)"),
                "not_fragility_site": _("skull, face, hand or foot only"),
                "no_fracture": _("no fracture"),
            },
        )
        register(
            "feed_format",
            {"csv": pgettext_lazy("feed format", "CSV"), "fhir": "FHIR R4", "hl7v2": "HL7 v2"},
        )
