from django.urls import path

from patients import api

urlpatterns = [
    path("programmes/<slug:programme_slug>/episodes/", api.EpisodeListAPI.as_view(), name="api_episodes"),
    path("programmes/<slug:programme_slug>/episodes/bulk/", api.EpisodeBulkAPI.as_view(), name="api_episodes_bulk"),
    path("programmes/<slug:programme_slug>/episodes/<int:pk>/", api.EpisodeDetailAPI.as_view(), name="api_episode"),
]
