from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = _("Best Practice Recognition")

    def ready(self):
        from programmes.labels import register
        from recognition import permissions
        from recognition.models import State
        from recognition.scoring import DOMAIN_NAMES, LEVEL_NAMES

        permissions.register()
        register("domain", DOMAIN_NAMES)
        register("level", LEVEL_NAMES)
        register("application_state", dict(State.choices))
