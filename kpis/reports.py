"""The PDF KPI report (WeasyPrint): cover, KPI table with bands, charts, benchmarking, methods."""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.language import language_of
from clinical.kpi_sets import get_kpi_set
from kpis import selectors
from kpis.engine import compute_for_programme
from kpis.models import KpiReport, KpiResult
from programmes.authority import Capability, authority_for

logger = logging.getLogger(__name__)


def report_html(report: KpiReport) -> str:
    programme = report.programme
    kpi_set = get_kpi_set(report.kpi_set)
    figures = compute_for_programme(
        programme, start=report.period_start, end=report.period_end, as_of=report.as_of, kpi_set=report.kpi_set
    )
    stored = (
        KpiResult.objects.for_programme(programme)
        .filter(kpi_set=report.kpi_set, period_start=report.period_start, period_end=report.period_end)
        .first()
    )
    peers = selectors.benchmarks(stored, programme.country.code) if stored else {}
    rows = selectors.kpi_rows(
        kpi_set, {value["code"]: value for value in figures["kpis"]}, selectors.trend(programme), peers
    )
    return render_to_string(
        "kpis/report.html",
        {
            "programme": programme,
            "report": report,
            "figures": figures,
            "rows": rows,
            "kpi_set": kpi_set,
            "generated_at": timezone.now(),
        },
    )


def report_render(*, report_id: int) -> str:
    """Render and store the PDF. Idempotent: a report already ready is left alone."""
    report = KpiReport.objects.all_programmes().select_related("programme", "requested_by").filter(pk=report_id).first()
    if report is None or report.status == KpiReport.Status.READY:
        return "skipped"
    # The worker acts for the person who asked: they must still be allowed when it runs.
    asked_by = report.requested_by
    if asked_by is not None and not authority_for(asked_by, report.programme).can(Capability.KPIS_REPORT):
        KpiReport.objects.all_programmes().filter(pk=report_id).update(
            status=KpiReport.Status.FAILED,
            error="the person who asked no longer has access to the programme",
            finished_at=timezone.now(),
        )
        return "refused"
    from weasyprint import HTML  # slow to import: only where a report is really rendered

    try:
        # In the language of the page it was asked from, else the asker's, else the programme's.
        with translation.override(report.language or language_of(asked_by, *report.programme.languages)):
            pdf = HTML(string=report_html(report)).write_pdf()
    except Exception as exc:
        logger.exception("KPI report %s failed", report_id)
        KpiReport.objects.all_programmes().filter(pk=report_id).update(
            status=KpiReport.Status.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        raise
    KpiReport.objects.all_programmes().filter(pk=report_id).update(
        status=KpiReport.Status.READY, pdf=pdf, finished_at=timezone.now()
    )
    return "ready"
