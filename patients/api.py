"""REST API of episodes: the CSV's field names, the same rules, the same all-or-nothing bulk."""

from django.http import Http404
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from accounts import clock
from patients import rules, selectors, services
from patients.importer import ImportRejected, column_type_errors, dict_rows, episodes_import
from patients.views import list_filters
from programmes.authority import Capability
from programmes.inputs import int_param
from programmes.permissions import ProgrammeAPIView
from programmes.services import patient_data_read

BULK_LIMIT = 10_000


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class EpisodeSerializer(serializers.Serializer):
    """Output shape of an episode; input is validated by ``patients.rules`` (see ``_values``)."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    patient_id = serializers.IntegerField(read_only=True)

    def to_representation(self, episode):
        data = {"id": episode.pk, "version": episode.version, "patient_id": episode.patient_id}
        for name, value in episode.values().items():
            data[name] = rules.as_json(value)
        return data


def _declare_fields():
    fields = {}
    for name in rules.COLUMNS:
        if name in rules.ENUMS:
            fields[name] = serializers.ChoiceField(
                choices=list(rules.ENUMS[name]), allow_blank=True, required=name in rules.REQUIRED
            )
        elif name in rules.DATE_FIELDS:
            fields[name] = serializers.DateField(allow_null=True, required=name in rules.REQUIRED)
        else:
            fields[name] = serializers.CharField(max_length=64, required=True)
    return fields


# Serializer classes for the schema (built from the dataset's columns, so they cannot drift).
EpisodeInput = type("EpisodeInput", (serializers.Serializer,), _declare_fields())
EpisodeUpdateInput = type(
    "EpisodeUpdateInput", (serializers.Serializer,), {**_declare_fields(), "version": serializers.IntegerField()}
)
EpisodeOutput = type(
    "Episode",
    (serializers.Serializer,),
    {
        "id": serializers.IntegerField(),
        "version": serializers.IntegerField(),
        "patient_id": serializers.IntegerField(),
        **_declare_fields(),
    },
)
# Refusals carry a sentence (``detail``), the items that are wrong (``errors``: field or index and
# message), or both; ``error_count`` when more problems were found than listed.
ErrorList = inline_serializer(
    "ValidationErrors",
    fields={
        "detail": serializers.CharField(required=False),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
        "error_count": serializers.IntegerField(required=False),
    },
)
BulkResult = inline_serializer(
    "BulkResult",
    fields={
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
    },
)
FILTER_PARAMETERS = [
    OpenApiParameter("q", str, description="patient_ref starts with"),
    OpenApiParameter("site", str, enum=list(rules.FRACTURE_SITES)),
    OpenApiParameter("from", OpenApiTypes.DATE, description="fracture_date on or after"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="fracture_date on or before"),
    OpenApiParameter("status", str, enum=list(selectors.STATUS_LABELS)),
    OpenApiParameter("sort", str, enum=list(selectors.SORTS)),
]


def _values(data) -> dict:
    """Request JSON to the text values the domain layer takes (null and absent mean blank).

    Every column is a string in the schema (dates as YYYY-MM-DD) or null: other JSON types are
    refused, never turned into text.
    """
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"detail": _("send one JSON object of column: value")})
    errors = column_type_errors(data)
    if errors:
        raise exceptions.ValidationError(
            {
                "detail": _("the episode breaks the dataset's rules"),
                "errors": [{"field": name, "message": message} for name, message in errors],
            }
        )
    return {name: ("" if data.get(name) is None else data.get(name)) for name in rules.COLUMNS if name in data}


def _version(request) -> int:
    """The version the client read: ``If-Match`` (an ETag) or ``version`` in the body, an integer."""
    header = request.headers.get("If-Match")
    if header:
        tags = parse_etags(header)
        if len(tags) == 1 and tags[0] != "*":
            value = tags[0].removeprefix("W/").strip('"')
            if value.isdigit():
                return int(value)
        raise exceptions.ValidationError(
            {"errors": [{"field": "version", "message": 'If-Match must hold one version, e.g. "3"'}]}
        )
    version = request.data.get("version") if isinstance(request.data, dict) else None
    if type(version) is not int or version < 0:
        raise exceptions.ValidationError(
            {
                "errors": [
                    {"field": "version", "message": _("send the version you read, an integer (or an If-Match header)")}
                ]
            }
        )
    return version


def _invalid(exc: services.EpisodeInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {"detail": _("the episode breaks the dataset's rules"), "errors": [e.as_dict() for e in exc.errors]}
    )


PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page (50; at most 1000)."),
]


class EpisodePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


EpisodePage = inline_serializer(
    "PaginatedEpisodeList",
    {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": EpisodeOutput(many=True),
    },
)


class EpisodeListAPI(ProgrammeAPIView):
    """List (filters as in the list page) and create episodes of one programme."""

    @extend_schema(
        operation_id="v1_programmes_episodes_list",
        parameters=[*FILTER_PARAMETERS, *PAGE_PARAMETERS],
        responses=EpisodePage,
    )
    def get(self, request, programme_slug):
        episodes = selectors.episode_list(
            self.programme, today=clock.today(self.programme), **list_filters(request.query_params)
        )
        paginator = EpisodePagination()
        page = paginator.paginate_queryset(episodes, request, view=self)
        patient_data_read(request, self.programme, "episode_list", rows=len(page))
        return paginator.get_paginated_response(EpisodeSerializer(page, many=True).data)

    @extend_schema(request=EpisodeInput, responses={201: EpisodeOutput, 400: ErrorList})
    def post(self, request, programme_slug):
        try:
            episode = services.episode_create(
                programme=self.programme, actor=request.user, values=_values(request.data), source="api"
            )
        except services.EpisodeInvalid as exc:
            raise _invalid(exc) from None
        return Response(EpisodeSerializer(episode).data, status=status.HTTP_201_CREATED)


class EpisodeDetailAPI(ProgrammeAPIView):
    """One episode. Updates must send the ``version`` they read: a stale one answers 409."""

    @classmethod
    def capability_for(cls, method: str) -> str:
        if method.upper() == "DELETE":
            return Capability.PATIENTS_DELETE
        return super().capability_for(method)

    def _episode(self, pk):
        try:
            return selectors.get_episode_for(self.programme, pk)
        except Http404:  # another programme's episode answers exactly like a missing one
            raise exceptions.NotFound from None

    @staticmethod
    def _tagged(episode, **kwargs) -> Response:
        """The episode, with its version as the ETag that a later If-Match sends back."""
        return Response(EpisodeSerializer(episode).data, headers={"ETag": f'"{episode.version}"'}, **kwargs)

    @extend_schema(responses=EpisodeOutput)
    def get(self, request, programme_slug, pk):
        episode = self._episode(pk)
        patient_data_read(request, self.programme, "episode", episode=episode.pk)
        return self._tagged(episode)

    def _update(self, request, pk, partial):
        episode = self._episode(pk)
        version = _version(request)
        try:
            episode = services.episode_update(
                episode=episode,
                actor=request.user,
                values=_values(request.data),
                expected_version=version,
                source="api",
                partial=partial,
            )
        except services.StaleEdit as exc:
            raise Conflict(str(exc)) from None
        except services.EpisodeInvalid as exc:
            raise _invalid(exc) from None
        return self._tagged(episode)

    @extend_schema(request=EpisodeUpdateInput, responses={200: EpisodeOutput, 400: ErrorList, 409: ErrorList})
    def put(self, request, programme_slug, pk):
        return self._update(request, pk, partial=False)

    @extend_schema(request=EpisodeUpdateInput, responses={200: EpisodeOutput, 400: ErrorList, 409: ErrorList})
    def patch(self, request, programme_slug, pk):
        return self._update(request, pk, partial=True)

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, required=True, description="why the episode is deleted")],
        responses={204: None, 400: ErrorList, 409: ErrorList},
    )
    def delete(self, request, programme_slug, pk):
        episode = self._episode(pk)
        reason = request.query_params.get("reason") or (
            request.data.get("reason") if isinstance(request.data, dict) else ""
        )
        if request.headers.get("If-Match"):
            version = _version(request)
        else:
            version = int_param(request.query_params, "version", minimum=0)
        try:
            services.episode_delete(
                episode=episode,
                actor=request.user,
                reason=reason if isinstance(reason, str) else "",
                expected_version=version,
            )
        except services.StaleEdit as exc:
            raise Conflict(str(exc)) from None
        except services.EpisodeInvalid as exc:
            raise _invalid(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class EpisodeBulkAPI(ProgrammeAPIView):
    """Many episodes at once, as one CSV import: all or nothing, every error with its list index."""

    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE
    http_method_names = ["post", "options"]

    @extend_schema(request=EpisodeInput(many=True), responses={200: BulkResult, 400: ErrorList})
    def post(self, request, programme_slug):
        items = request.data
        if not isinstance(items, list):
            raise exceptions.ValidationError({"detail": _("send a JSON list of episodes")})
        if len(items) > BULK_LIMIT:
            raise exceptions.ValidationError(
                {
                    "detail": _("at most %(limit)s episodes per request; use the CSV import for more")
                    % {"limit": BULK_LIMIT}
                }
            )
        try:
            counts = episodes_import(
                programme=self.programme, rows=list(dict_rows(items)), actor=request.user, source="api", parallel=False
            )
        except ImportRejected as exc:
            return Response(
                {
                    "detail": _("nothing was written: fix every listed item and send the whole list again"),
                    "errors": [{"index": e.row, "field": e.column, "message": e.message} for e in exc.errors],
                    "error_count": exc.total,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(counts.as_dict())
