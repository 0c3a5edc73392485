from django.urls import path

from recognition import views

app_name = "recognition"
P = "p/<slug:programme_slug>/recognition/"
A = P + "<int:application_id>/"

# Mounted at the site root: the programme's pages carry the programme (the tenancy walker finds
# them); reviewers' and IOF staff's desks do not, and check the object grant themselves.
urlpatterns = [
    path(P, views.ProgrammeRecognitionView.as_view(), name="programme"),
    path(A, views.ApplicationView.as_view(), name="application"),
    path(A + "refresh/", views.ApplicationActionView.as_view(action="refresh"), name="application_refresh"),
    path(A + "submit/", views.ApplicationActionView.as_view(action="submit"), name="application_submit"),
    path(A + "evidence/", views.ApplicationActionView.as_view(action="evidence"), name="evidence_add"),
    path(
        A + "evidence/<int:evidence_id>/remove/",
        views.ApplicationActionView.as_view(action="evidence_remove"),
        name="evidence_remove",
    ),
    path(A + "self-assessment/", views.SelfAssessmentView.as_view(), name="self_assessment"),
    path(A + "certificate.pdf", views.CertificateView.as_view(), name="certificate"),
    path("recognition/evidence/<int:evidence_id>/", views.EvidenceDownloadView.as_view(), name="evidence"),
    path("recognition/reviews/", views.ReviewQueueView.as_view(), name="reviews"),
    path("recognition/reviews/<int:assignment_id>/", views.ReviewView.as_view(), name="review"),
    path("recognition/staff/", views.StaffApplicationsView.as_view(), name="staff_applications"),
    path("recognition/staff/<int:application_id>/", views.StaffApplicationView.as_view(), name="staff_application"),
    path("recognition/catalogue/", views.catalogue, name="catalogue"),
]
