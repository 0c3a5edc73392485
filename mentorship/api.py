"""The mentorship API: upcoming training days for anyone logged in; seat requests by a member of
a candidate site. The booking rules are the service's; this layer parses and answers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from mentorship import selectors, services
from mentorship.models import Booking
from programmes.inputs import StrictEmail, StrictLine, StrictSlug
from programmes.tenancy import resolve_programme_access


class TrainingDaySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    champion = serializers.CharField(source="programme.slug")
    champion_name = serializers.CharField(source="programme.name")
    country = serializers.CharField(source="programme.country")
    date = serializers.DateField()
    seats = serializers.IntegerField()
    free_seats = serializers.IntegerField()
    waiting = serializers.IntegerField()
    language = serializers.CharField()
    booking_deadline = serializers.DateField()
    address = serializers.CharField()
    agenda = serializers.CharField()
    bookable = serializers.BooleanField()


class BookingRequestSerializer(serializers.Serializer):
    candidate = StrictSlug(max_length=64)
    attendee_name = StrictLine(max_length=200)
    attendee_email = StrictEmail()


class BookingSerializer(serializers.ModelSerializer):
    training_day = serializers.IntegerField(source="training_day_id")
    candidate = serializers.CharField(source="candidate.slug")

    class Meta:
        model = Booking
        fields = ["id", "status", "training_day", "candidate", "attendee_name", "attendee_email"]


def _refusal(exc: ValidationError):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"detail": " ".join(str(m) for m in exc.messages)}


class TrainingDaysAPI(APIView):
    """Upcoming training days (from today on), with free seats; any logged-in user or token."""

    @extend_schema(responses=TrainingDaySerializer(many=True))
    def get(self, request):
        return Response(TrainingDaySerializer(selectors.upcoming_days(), many=True).data)


class TrainingDayBookingsAPI(APIView):
    """Ask for a seat for one named person. 201 ``requested`` while a seat is free, else ``waiting``."""

    @extend_schema(request=BookingRequestSerializer, responses={201: BookingSerializer})
    def post(self, request, day_id: int):
        payload = BookingRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            access = resolve_programme_access(request.user, payload.validated_data["candidate"])
        except Http404:
            raise exceptions.NotFound("No candidate site with this slug among your programmes.") from None
        try:
            day = selectors.any_day(day_id)
        except Http404:
            raise exceptions.NotFound("No such training day.") from None
        try:
            booking = services.booking_request(
                training_day=day,
                candidate=access.programme,
                actor=request.user,
                attendee_name=payload.validated_data["attendee_name"],
                attendee_email=payload.validated_data["attendee_email"],
            )
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from None
        except ValidationError as exc:
            return Response(_refusal(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)
