from django.urls import path

from casefinding import views

app_name = "casefinding"

# Mounted under /p/<slug:programme_slug>/ by fls_registry.urls.
urlpatterns = [
    path("case-finding/", views.InboxView.as_view(), name="inbox"),
    path("case-finding/<int:pk>/accept/", views.CandidateAcceptView.as_view(), name="accept"),
    path("case-finding/<int:pk>/dismiss/", views.CandidateDismissView.as_view(), name="dismiss"),
]
