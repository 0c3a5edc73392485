from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs")

    def ready(self):
        from kpis.definitions import KPI_SETS
        from kpis.services import schedule_recompute
        from programmes import hooks

        hooks.on_data_changed(schedule_recompute)
        hooks.set_kpi_set_choices((code, kpi_set.name) for code, kpi_set in KPI_SETS.items())
