from django.urls import path

from patients import views

app_name = "patients"

# Mounted under /p/<slug:programme_slug>/ by fls_registry.urls.
urlpatterns = [
    path("episodes/", views.EpisodeListView.as_view(), name="episode_list"),
    path("episodes/new/", views.EpisodeCreateView.as_view(), name="episode_create"),
    path("episodes/validate/", views.EpisodeValidateView.as_view(), name="episode_validate"),
    path("episodes/<int:pk>/", views.EpisodeDetailView.as_view(), name="episode_detail"),
    path("episodes/<int:pk>/edit/", views.EpisodeUpdateView.as_view(), name="episode_update"),
    path("episodes/<int:pk>/delete/", views.EpisodeDeleteView.as_view(), name="episode_delete"),
    path("episodes/<int:pk>/contact/", views.RecordContactView.as_view(), name="record_contact"),
    path("patients/<int:pk>/", views.PatientDetailView.as_view(), name="patient_detail"),
    path("patients/<int:pk>/edit/", views.PatientUpdateView.as_view(), name="patient_update"),
    path("worklist/", views.WorklistView.as_view(), name="worklist"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/jobs/<int:pk>/", views.ImportJobView.as_view(), name="import_job"),
    path("export.csv", views.ExportView.as_view(), name="export"),
]
