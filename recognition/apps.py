from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = _("Best Practice Recognition")

    def ready(self):
        from recognition import permissions

        permissions.register()
