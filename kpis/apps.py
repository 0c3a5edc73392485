from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs")

    def ready(self):
        from kpis.services import schedule_recompute
        from programmes import hooks

        hooks.on_data_changed(schedule_recompute)
