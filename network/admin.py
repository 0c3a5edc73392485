"""The public face in the admin: read-only views for IOF staff. Every change goes through the pages
and their services (a lead's listing and calculator values, the library desk, the calculator
parameters desk), so the admin never bypasses a rule or an access-log row."""

from django.contrib import admin

from network.models import CalculatorOverride, CalculatorParameters, PublicListing, Resource
from network.permissions import NC
from programmes.admin import AuthorityAdmin


class ReadOnlyAdmin(AuthorityAdmin):
    view_capability = NC.CURATE
    allow_add = allow_change = allow_delete = False


@admin.register(PublicListing)
class PublicListingAdmin(ReadOnlyAdmin):
    list_display = ["programme", "show_on_map", "show_kpi_bands", "updated_at"]
    list_filter = ["show_on_map", "show_kpi_bands"]


@admin.register(Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "languages", "status", "proposed_for", "last_reviewed"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "publisher"]
    exclude = ["search_vector"]


@admin.register(CalculatorParameters)
class CalculatorParametersAdmin(ReadOnlyAdmin):
    list_display = ["country", "currency", "horizon_years", "updated_at"]


@admin.register(CalculatorOverride)
class CalculatorOverrideAdmin(ReadOnlyAdmin):
    list_display = ["programme", "updated_at"]
