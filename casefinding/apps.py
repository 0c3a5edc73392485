from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseFindingConfig(AppConfig):
    name = "casefinding"
    verbose_name = _("Case finding")

    def ready(self):
        from casefinding.models import FORMAT_CHOICES, Candidate
        from programmes.labels import register

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
        register("feed_format", dict(FORMAT_CHOICES))
