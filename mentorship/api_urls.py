from django.urls import path

from mentorship import api

urlpatterns = [
    path("mentorship/training-days/", api.TrainingDaysAPI.as_view(), name="api_training_days"),
    path(
        "mentorship/training-days/<int:day_id>/bookings/",
        api.TrainingDayBookingsAPI.as_view(),
        name="api_training_day_bookings",
    ),
]
