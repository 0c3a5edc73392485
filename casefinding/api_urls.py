from django.urls import path

from casefinding import api

urlpatterns = [
    path("programmes/<slug:programme_slug>/case-finding/", api.CaseFindingAPI.as_view(), name="api_case_finding"),
]
