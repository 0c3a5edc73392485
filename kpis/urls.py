from django.urls import path

from kpis import views

app_name = "kpis"

# Mounted under /p/<slug:programme_slug>/ by fls_registry.urls.
urlpatterns = [
    path("kpis/", views.DashboardView.as_view(), name="dashboard"),
    path("kpis/report/", views.ReportRequestView.as_view(), name="report_request"),
    path("kpis/reports/<int:pk>/", views.ReportView.as_view(), name="report"),
    path("kpis/reports/<int:pk>/pdf/", views.ReportDownloadView.as_view(), name="report_pdf"),
    path("kpis/<str:code>/", views.DrillDownView.as_view(), name="drilldown"),
]
