from django.urls import path

from network import views

app_name = "network"
P = "p/<slug:programme_slug>/"

# Mounted at the site root: the programme's pages carry the programme (the tenancy walker finds
# them); the public pages and IOF staff's desk do not.
urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("programmes/<slug:slug>/", views.profile, name="profile"),
    path("resources/", views.resources, name="resources"),
    path("resources/<int:resource_id>/", views.resource, name="resource"),
    path("resources/<int:resource_id>/file", views.resource_file, name="resource_file"),
    path(P + "public-profile/", views.PublicListingView.as_view(), name="listing"),
    path(P + "resources/propose/", views.ResourceProposeView.as_view(), name="resource_propose"),
    path(P + "benefits/", views.BenefitsView.as_view(), name="benefits"),
    path(P + "benefits.pdf", views.BenefitsPDFView.as_view(), name="benefits_pdf"),
    path("network/staff/resources/", views.StaffResourcesView.as_view(), name="staff_resources"),
    path("network/staff/resources/new/", views.StaffResourceEditView.as_view(), name="staff_resource_create"),
    path(
        "network/staff/resources/<int:resource_id>/",
        views.StaffResourceEditView.as_view(),
        name="staff_resource_edit",
    ),
    path("network/staff/calculator/", views.StaffCalculatorView.as_view(), name="staff_calculator"),
]
