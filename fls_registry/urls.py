from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fls_registry import views
from programmes import views as programme_views
from recognition import views as recognition_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says: the icon the pages name.
    path("favicon.ico", views.FaviconView.as_view()),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("invitations/<str:token>/", programme_views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("staff/invitations/", programme_views.StaffInvitationView.as_view(), name="staff_invitations"),
    path("staff/roles/", programme_views.StaffRolesView.as_view(), name="staff_roles"),
    path("switch-programme/", programme_views.switch_programme, name="switch_programme"),
    path("p/<slug:programme_slug>/", include("programmes.urls")),
    path("p/<slug:programme_slug>/", include("patients.urls")),
    path("p/<slug:programme_slug>/", include("casefinding.urls")),
    path("p/<slug:programme_slug>/", include("kpis.urls")),
    path("", include("recognition.urls")),
    path("", include("mentorship.urls")),
    path("", include("network.urls")),
    path("verify/<str:code>/", recognition_views.verify, name="recognition_verify"),
    path("api/v1/", include("programmes.api_urls")),
    path("api/v1/", include("patients.api_urls")),
    path("api/v1/", include("casefinding.api_urls")),
    path("api/v1/", include("kpis.api_urls")),
    path("api/v1/", include("mentorship.api_urls")),
    path("api/v1/", include("network.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script as a file: no inline script (Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    # One door: the admin's login is the registry's login (allauth, with its second factor).
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]

handler400 = "programmes.inputs.bad_request"
handler500 = "fls_registry.views.server_error"
