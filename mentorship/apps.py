from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MentorshipConfig(AppConfig):
    name = "mentorship"
    verbose_name = _("Mentorship")

    def ready(self):
        from mentorship import permissions
        from mentorship.models import BookingStatus
        from programmes.labels import register

        permissions.register()
        register("booking_status", dict(BookingStatus.choices))
