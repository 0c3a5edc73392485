from django.urls import path

from programmes import views

app_name = "programmes"

# Mounted under /p/<slug:programme_slug>/ by fls_registry.urls.
urlpatterns = [
    path("", views.ProgrammeHomeView.as_view(), name="home"),
    path("team/", views.TeamView.as_view(), name="team"),
    path("team/members/<int:membership_id>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path("team/members/<int:membership_id>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path(
        "team/invitations/<int:invitation_id>/revoke/", views.InvitationRevokeView.as_view(), name="invitation_revoke"
    ),
    path("settings/", views.ProgrammeSettingsView.as_view(), name="settings"),
]
