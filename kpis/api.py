from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from accounts import clock
from clinical.kpi_sets import KPI_SETS
from kpis.engine import compute_for_programme
from programmes.authority import Capability
from programmes.inputs import StrictInteger, check_date_range
from programmes.models import CASELOAD_YEARS, MAX_EXPECTED_FRACTURES, ExpectedCaseload
from programmes.permissions import ProgrammeAPIView
from programmes.services import expected_caseload_set

KpiResultOutput = inline_serializer(
    "KpiFigures",
    fields={
        "programme": serializers.CharField(),
        "kpi_set": serializers.CharField(),
        "period": serializers.DictField(),
        "as_of": serializers.DateField(),
        "episodes": serializers.IntegerField(),
        "kpis": serializers.ListField(child=serializers.DictField()),
    },
)


def _day(params, name, default=None) -> date:
    value = params.get(name)
    if not value:
        if default is None:
            raise exceptions.ValidationError({name: f"required: {name}=YYYY-MM-DD"})
        return default
    try:
        day = date.fromisoformat(value)
        check_date_range(day, name)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({name: exc.messages}) from None
    except ValueError:
        raise exceptions.ValidationError({name: f"'{value}' is not a date in YYYY-MM-DD form"}) from None
    return day


class KpiAPI(ProgrammeAPIView):
    """The eleven KPIs for a period, as the compute_kpis command prints them (kpis.md)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
            OpenApiParameter("as_of", OpenApiTypes.DATE),
            OpenApiParameter("kpi_set", str, enum=sorted(KPI_SETS)),
        ],
        responses=KpiResultOutput,
    )
    def get(self, request, programme_slug):
        start, end = _day(request.query_params, "start"), _day(request.query_params, "end")
        if end < start:
            raise exceptions.ValidationError({"end": "the period ends before it starts"})
        as_of = _day(request.query_params, "as_of", clock.today(self.programme))
        kpi_set = request.query_params.get("kpi_set") or None
        if kpi_set and kpi_set not in KPI_SETS:
            raise exceptions.ValidationError({"kpi_set": f"one of: {', '.join(sorted(KPI_SETS))}"})
        return Response(compute_for_programme(self.programme, start=start, end=end, as_of=as_of, kpi_set=kpi_set))


class CaseloadSerializer(serializers.Serializer):
    year = StrictInteger(min_value=CASELOAD_YEARS.start, max_value=CASELOAD_YEARS.stop - 1)
    non_spine = StrictInteger(min_value=0, max_value=MAX_EXPECTED_FRACTURES)
    spine = StrictInteger(min_value=0, max_value=MAX_EXPECTED_FRACTURES)


class ExpectedCaseloadAPI(ProgrammeAPIView):
    """The expected fragility fractures per calendar year (KPI1/KPI2 denominators). Leads set them."""

    write_capability = Capability.SETTINGS_MANAGE

    @extend_schema(responses=CaseloadSerializer(many=True))
    def get(self, request, programme_slug):
        rows = ExpectedCaseload.objects.for_programme(self.programme).order_by("year")
        return Response(CaseloadSerializer(rows, many=True).data)

    @extend_schema(request=CaseloadSerializer, responses=CaseloadSerializer)
    def post(self, request, programme_slug):
        serializer = CaseloadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        caseload = expected_caseload_set(programme=self.programme, actor=request.user, **serializer.validated_data)
        return Response(CaseloadSerializer(caseload).data)
