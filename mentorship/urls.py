from django.urls import path

from mentorship import views

app_name = "mentorship"
P = "p/<slug:programme_slug>/mentorship/"

# Mounted at the site root: the programme's pages carry the programme (the tenancy walker finds
# them); the list of days, the public profiles, the request to join and IOF staff's desk do not.
urlpatterns = [
    path(P, views.MentorshipView.as_view(), name="programme"),
    path(P + "matches/", views.MatchesView.as_view(), name="matches"),
    path(P + "days/new/", views.TrainingDayCreateView.as_view(), name="day_create"),
    path(P + "days/<int:day_id>/", views.TrainingDayView.as_view(), name="day"),
    path(P + "bookings/<int:booking_id>/move/", views.BookingMoveView.as_view(), name="booking_move"),
    path(P + "bookings/<int:booking_id>/rate/", views.BookingRateView.as_view(), name="booking_rate"),
    path("mentorship/training-days/", views.TrainingDaysView.as_view(), name="training_days"),
    path("mentorship/training-days/<int:day_id>/", views.TrainingDayPublicView.as_view(), name="training_day_public"),
    path("mentorship/champions/", views.champions, name="champions"),
    path("mentorship/champions/<slug:slug>/", views.champion, name="champion"),
    path("mentorship/join/", views.join, name="join"),
    path("mentorship/attendees/<str:token>/", views.attendee_confirm, name="attendee_confirm"),
    path("mentorship/staff/requests/", views.StaffRequestsView.as_view(), name="staff_requests"),
    path("mentorship/staff/matching/", views.StaffMatchingView.as_view(), name="staff_matching"),
]
