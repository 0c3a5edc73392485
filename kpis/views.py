from datetime import date

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from clinical.kpi_sets import get_kpi_set
from kpis import selectors, services
from kpis.engine import Period, episode_outcomes
from kpis.models import KpiReport, PeriodKind
from patients.models import Episode
from programmes.authority import Capability
from programmes.models import AccessEvent
from programmes.permissions import ProgrammeView, ProgrammeViewMixin
from programmes.services import access_event_record, patient_data_read
from programmes.tenancy import get_owned_or_404


def _chosen_result(programme, value: str):
    """``rolling`` | ``year:2025`` | ``quarter:2025-07-01`` → the stored result, or None."""
    kind, _sep, start = (value or "rolling").partition(":")
    try:
        if kind == "year":
            return selectors.result_for(programme, PeriodKind.YEAR, date(int(start), 1, 1))
        if kind == "quarter":
            return selectors.result_for(programme, PeriodKind.QUARTER, date.fromisoformat(start))
    except ValueError:
        return None
    return selectors.result_for(programme, PeriodKind.ROLLING)


def _period_value(result) -> str:
    if result.period_kind == PeriodKind.YEAR:
        return f"year:{result.period_start.year}"
    if result.period_kind == PeriodKind.QUARTER:
        return f"quarter:{result.period_start.isoformat()}"
    return "rolling"


def _period_label(result) -> str:
    if result.period_kind == PeriodKind.YEAR:
        return str(result.period_start.year)
    if result.period_kind == PeriodKind.QUARTER:
        return selectors.quarter_label(result)
    return _("12 months to %(date)s") % {"date": date_format(result.period_end, "SHORT_DATE_FORMAT")}


class DashboardView(ProgrammeViewMixin, TemplateView):
    """Every KPI of the programme's set for a stored period; pages never compute KPIs themselves."""

    template_name = "kpis/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        programme = self.programme
        result = _chosen_result(programme, self.request.GET.get("period", ""))
        kpi_set = get_kpi_set(programme.kpi_set)
        context.update(kpi_set=kpi_set, state=selectors.state_of(programme), result=result)
        periods = selectors.available_periods(programme)
        context["periods"] = [(_period_value(r), _period_label(r)) for r in periods]
        if result is None:
            return context
        context["period_value"] = _period_value(result)
        context["period_label"] = _period_label(result)
        context["rows"] = selectors.kpi_rows(
            kpi_set,
            {value["code"]: value for value in result.kpis},
            selectors.trend(programme),
            selectors.benchmarks(result, programme.country.code),
        )
        return context


class DrillDownView(ProgrammeViewMixin, TemplateView):
    """A KPI → the episodes of the period that do not meet it: the to-do list."""

    template_name = "kpis/drilldown.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kpi_set = get_kpi_set(self.programme.kpi_set)
        try:
            kpi = kpi_set.get(kwargs["code"])
        except KeyError:
            raise Http404 from None
        result = _chosen_result(self.programme, self.request.GET.get("period", ""))
        if result is None:
            raise Http404
        outcome = self.request.GET.get("outcome", "not_met")
        outcome = outcome if outcome in ("not_met", "pending", "met") else "not_met"
        ids = episode_outcomes(
            self.programme,
            kpi,
            period=Period(result.period_start, result.period_end),
            as_of=result.as_of,
            outcome=outcome,
        )
        page = Paginator(ids, 100).get_page(self.request.GET.get("page"))
        episodes = {
            e.pk: e
            for e in Episode.objects.for_programme(self.programme)
            .select_related("patient")
            .filter(pk__in=list(page.object_list))
        }
        patient_data_read(
            self.request, self.programme, "kpi_drilldown", kpi=kpi.code, outcome=outcome, page=page.number
        )
        context.update(
            kpi=kpi,
            result=result,
            outcome=outcome,
            page=page,
            total=len(ids),
            episodes=[episodes[i] for i in page.object_list if i in episodes],
            period_value=_period_value(result),
            period_label=_period_label(result),
            value=result.kpi(kpi.code),
        )
        return context


class ReportRequestView(ProgrammeView):
    """Ask for a PDF report of a stored period; a worker renders it."""

    read_capability = Capability.KPIS_REPORT
    write_capability = Capability.KPIS_REPORT
    http_method_names = ["post"]

    def post(self, request):
        result = _chosen_result(self.programme, request.POST.get("period", ""))
        if result is None:
            raise Http404
        report = services.report_request(
            programme=self.programme,
            actor=request.user,
            start=result.period_start,
            end=result.period_end,
            as_of=result.as_of,
            language=translation.get_language(),
        )
        return redirect("kpis:report", programme_slug=self.programme.slug, pk=report.pk)


class ReportView(ProgrammeViewMixin, TemplateView):
    template_name = "kpis/report_status.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["kpis/_report_state.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report"] = get_owned_or_404(KpiReport.objects.defer("pdf"), self.programme, pk=kwargs["pk"])
        return context


class ReportDownloadView(ProgrammeView):
    def get(self, request, pk):
        report = get_owned_or_404(KpiReport, self.programme, pk=pk)
        if report.status != KpiReport.Status.READY:
            raise Http404
        access_event_record(
            programme=self.programme,
            actor=request.user,
            action=AccessEvent.Action.EXPORTED,
            what="kpi_report_pdf",
            report=report.pk,
        )
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
        name = f"{self.programme.slug}-kpis-{report.period_start}-{report.period_end}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
