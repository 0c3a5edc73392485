from django.urls import path
from django.views.decorators.gzip import gzip_page

from network import api

urlpatterns = [
    # Compressed when the client accepts it: public data, no secret in the body (no BREACH risk).
    path("public/programmes.geojson", gzip_page(api.PublicProgrammesGeoJSON.as_view()), name="api_public_geojson"),
    path("public/summary", api.PublicSummary.as_view(), name="api_public_summary"),
]
