"""The public API: the map's programmes as GeoJSON and the network's figures. Anonymous, rate-limited
per client address, cached, with an ETag (a client that sends If-None-Match gets 304)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from network import selectors
from network.public_cache import cached_document, summary_document

GEOJSON = "application/geo+json"


def conditional_response(request, body: bytes, etag: str, content_type: str) -> HttpResponse:
    cache_control = f"public, max-age={min(settings.PUBLIC_CACHE_SECONDS, 300)}"
    presented = request.headers.get("If-None-Match", "")
    if etag in [tag.strip().removeprefix("W/") for tag in presented.split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    response["Vary"] = "Accept-Encoding"
    return response


class GeoJSONRenderer(JSONRenderer):
    media_type = GEOJSON


class AlwaysGeoJSON(BaseContentNegotiation):
    """The document has one form: whatever the client accepts (application/json, geo+json, */*)."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PublicAPIView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"


_properties = inline_serializer(
    "PublicProgrammeProperties",
    {
        "slug": serializers.SlugField(),
        "name": serializers.CharField(),
        "institution": serializers.CharField(),
        "city": serializers.CharField(),
        "country": serializers.CharField(help_text="ISO 3166-1 alpha-2"),
        "country_name": serializers.CharField(),
        "languages": serializers.ListField(child=serializers.CharField()),
        "care_setting": serializers.CharField(),
        "level": serializers.ChoiceField(choices=["gold", "silver", "bronze"], allow_null=True),
        "valid_until": serializers.DateField(allow_null=True),
        "champion": serializers.BooleanField(),
        "teaching_languages": serializers.ListField(child=serializers.CharField()),
        "profile_url": serializers.CharField(),
        "training_days_url": serializers.CharField(allow_null=True),
    },
)
_geometry = inline_serializer(
    "PublicProgrammePoint",
    {
        "type": serializers.ChoiceField(choices=["Point"]),
        "coordinates": serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
    },
    allow_null=True,
)
FEATURE_COLLECTION = inline_serializer(
    "PublicProgrammeCollection",
    {
        "type": serializers.ChoiceField(choices=["FeatureCollection"]),
        "features": inline_serializer(
            "PublicProgrammeFeature",
            {
                "type": serializers.ChoiceField(choices=["Feature"]),
                "id": serializers.SlugField(),
                "geometry": _geometry,
                "properties": _properties,
            },
            many=True,
        ),
    },
)
SUMMARY = inline_serializer(
    "NetworkSummary",
    {
        "programmes": serializers.IntegerField(help_text="Programmes on the public map."),
        "countries": serializers.IntegerField(),
        "recognised": serializers.IntegerField(),
        "gold": serializers.IntegerField(),
        "silver": serializers.IntegerField(),
        "bronze": serializers.IntegerField(),
        "champions": serializers.IntegerField(help_text="Champion sites with an open mentorship offer."),
        "year": serializers.IntegerField(),
        "episodes_this_year": serializers.IntegerField(
            allow_null=True, help_text="Rounded to the nearest hundred; null below 50 (see the note)."
        ),
        "episodes_this_year_note": serializers.ChoiceField(
            choices=["fewer than 5", "fewer than 50"], allow_null=True, help_text="Why the figure is null."
        ),
    },
)
FILTERS = [
    OpenApiParameter("level", OpenApiTypes.STR, enum=["gold", "silver", "bronze"]),
    OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-2, e.g. IT"),
    OpenApiParameter("language", OpenApiTypes.STR, description="ISO 639-1, e.g. it (also a champion's teaching)"),
    OpenApiParameter("care_setting", OpenApiTypes.STR, enum=["inpatient", "outpatient", "mixed", "primary_care"]),
    OpenApiParameter("champion", OpenApiTypes.STR, enum=["1"], description="1: champion sites only"),
]


class PublicProgrammesGeoJSON(PublicAPIView):
    """The programmes shown on the public map, as a GeoJSON FeatureCollection (RFC 7946)."""

    renderer_classes = [GeoJSONRenderer]
    content_negotiation_class = AlwaysGeoJSON

    @extend_schema(
        operation_id="public_programmes_geojson",
        parameters=FILTERS,
        responses={
            (200, GEOJSON): FEATURE_COLLECTION,
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
            400: OpenApiResponse(description="A filter has a wrong value; the body names it."),
        },
        auth=[],
    )
    def get(self, request):
        try:
            filters = selectors.MapFilters.from_query(request.query_params)
        except ValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from None
        body, etag = cached_document(
            f"geojson:{filters.cache_key}", lambda: selectors.feature_collection_json(filters), prebuilt=True
        )
        return conditional_response(request, body, etag, GEOJSON)


class PublicSummary(PublicAPIView):
    """The network's live figures (programme-level counts and rounded episode totals)."""

    @extend_schema(
        operation_id="public_summary",
        responses={200: SUMMARY, 304: OpenApiResponse(description="Not modified.")},
        auth=[],
    )
    def get(self, request):
        body, etag = summary_document()
        return conditional_response(request, body, etag, "application/json")
