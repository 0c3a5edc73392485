from django.urls import path

from programmes import api

urlpatterns = [
    path("programmes/", api.MyProgrammesAPI.as_view(), name="api_my_programmes"),
    path("programmes/<slug:programme_slug>/", api.ProgrammeDetailAPI.as_view(), name="api_programme"),
    path("programmes/<slug:programme_slug>/members/", api.ProgrammeMembersAPI.as_view(), name="api_programme_members"),
]
