from datetime import date, timedelta

import pytest

from kpis import services
from patients.importer import episodes_import
from patients.synthetic import synthetic_cohort
from programmes.models import ExpectedCaseload
from tests.e2e.test_recognition_journey import log_in

pytestmark = pytest.mark.browser


def test_lead_reads_the_dashboard_and_drills_down_to_the_episodes(live_server, page, programme, lead, artifacts_dir):
    today = date.today()
    rows = synthetic_cohort(count=300, start=today - timedelta(days=700), end=today, today=today, seed=5)
    episodes_import(programme=programme, rows=[(n + 2, r, []) for n, r in enumerate(rows)], parallel=False)
    for year in (today.year - 1, today.year):
        ExpectedCaseload.objects.create(programme=programme, year=year, non_spine=150, spine=40)
    services.results_recompute(programme_ids=[programme.pk])

    log_in(page, live_server, lead)
    page.goto(live_server.url + f"/p/{programme.slug}/")
    page.get_by_role("link", name="KPIs").click()
    page.get_by_role("heading", name="KPI dashboard").wait_for()
    table = page.locator("table.kpis")
    assert table.locator("tbody tr").count() == 11
    assert "Figures computed" in page.content()
    page.screenshot(path=str(artifacts_dir / "kpi-dashboard.png"), full_page=True)
    page.get_by_role("link", name="KPI7", exact=True).click()
    page.get_by_text("Not met (the to-do list)").wait_for()
    assert page.locator("table tbody tr").count() >= 1
    page.screenshot(path=str(artifacts_dir / "kpi-drilldown.png"), full_page=True)
