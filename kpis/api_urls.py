from django.urls import path

from kpis import api

urlpatterns = [
    path("programmes/<slug:programme_slug>/kpis/", api.KpiAPI.as_view(), name="api_kpis"),
    path(
        "programmes/<slug:programme_slug>/expected-caseload/",
        api.ExpectedCaseloadAPI.as_view(),
        name="api_expected_caseload",
    ),
]
