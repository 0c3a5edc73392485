"""Mentorship in the admin: read-only views for IOF staff. Every change goes through the pages and
their services (offers by leads, days by mentors, bookings by the transition service, requests to
join on IOF staff's desk), so the admin never bypasses a rule or an audit row."""

from django.contrib import admin

from mentorship.models import Booking, BookingEvent, ChampionOffer, JoinRequest, TrainingDay
from mentorship.permissions import MC
from programmes.admin import AuthorityAdmin


class ReadOnlyAdmin(AuthorityAdmin):
    view_capability = MC.MANAGE
    allow_add = allow_change = allow_delete = False


@admin.register(ChampionOffer)
class ChampionOfferAdmin(ReadOnlyAdmin):
    list_display = ["programme", "is_open", "languages", "contact_email", "updated_at"]
    list_filter = ["is_open"]


@admin.register(JoinRequest)
class JoinRequestAdmin(ReadOnlyAdmin):
    list_display = ["name", "institution", "country", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["name", "institution", "contact_email"]


@admin.register(TrainingDay)
class TrainingDayAdmin(ReadOnlyAdmin):
    list_display = ["programme", "date", "seats", "language", "booking_deadline"]
    date_hierarchy = "date"

    def get_queryset(self, request):
        return TrainingDay.objects.all_programmes().select_related("programme")


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    fields = ["created_at", "from_status", "to_status", "side", "actor", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ["attendee_name", "training_day", "candidate", "status", "created_at"]
    list_filter = ["status"]
    inlines = [BookingEventInline]
