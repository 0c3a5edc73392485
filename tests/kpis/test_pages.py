import shutil
import subprocess
from datetime import date

import pytest

from kpis import services
from kpis.models import KpiReport
from programmes.models import ExpectedCaseload, Programme
from tests.factories import MembershipFactory, ProgrammeFactory


def row_of(page: str, code: str) -> str:
    """The dashboard's table row of one KPI."""
    start = page.index(f">{code}</a>")
    return page[start : page.index("</tr>", start)]


@pytest.fixture
def computed(programme, coordinator, make_episode):
    ExpectedCaseload.objects.create(programme=programme, year=2026, non_spine=100, spine=20)
    make_episode(programme, coordinator, patient_ref="K1", falls_assessment="no")
    services.results_recompute(programme_ids=[programme.pk])
    return programme


def test_dashboard_shows_every_kpi_with_band_as_text_and_when_computed(computed, coordinator, login):
    page = login(coordinator).get(f"/p/{computed.slug}/kpis/").content.decode()
    for code in [f"KPI{n}" for n in range(1, 12)]:
        assert f">{code}</a>" in page
    assert "Figures computed" in page
    # The one episode: falls assessment "no" (KPI5 0 %, red), medication recommended (KPI6 100 %, green).
    assert row_of(page, "KPI5").count('<span class="band band-red">red</span>') == 1
    assert row_of(page, "KPI6").count('<span class="band band-green">green</span>') == 1
    assert "<svg" in page and "<title>" in page
    assert "Recompute pending" not in page


def test_dashboard_says_when_a_recompute_is_pending(computed, coordinator, login):
    from programmes.services import programme_mark_data_changed

    programme_mark_data_changed(programme=computed)
    assert "Recompute pending" in login(coordinator).get(f"/p/{computed.slug}/kpis/").content.decode()


def test_drill_down_lists_the_episodes_that_do_not_meet_the_kpi(computed, coordinator, login):
    page = login(coordinator).get(f"/p/{computed.slug}/kpis/KPI5/").content.decode()
    assert "K1" in page and "1 episode" in page
    met = login(coordinator).get(f"/p/{computed.slug}/kpis/KPI3/", {"outcome": "met"}).content.decode()
    assert "K1" in met


def test_benchmarks_appear_only_with_five_contributing_programmes(computed, coordinator, login, make_episode):
    page = login(coordinator).get(f"/p/{computed.slug}/kpis/").content.decode()
    assert "fewer than 5 programmes (1)" in page
    for n in range(4):
        peer = ProgrammeFactory(slug=f"peer-{n}", country=computed.country.code)
        make_episode(peer, patient_ref=f"PEER{n}")
    services.results_recompute()
    page = login(coordinator).get(f"/p/{computed.slug}/kpis/").content.decode()
    assert "n=5" in page


def test_pdf_report_renders_kpis_and_names_in_latin_cyrillic_and_cjk(
    db, coordinator, login, make_episode, tmp_path, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory(slug="multi", name="FLS Ярославль 臺北 Lyon-Sud", country="TW", languages=["zh", "en"])
    MembershipFactory(programme=programme, user=coordinator, role="coordinator")
    coordinator.language = "en"  # the report is in the language of the person who asks
    coordinator.save(update_fields=["language"])
    make_episode(programme, coordinator, patient_ref="PDF1")
    services.results_recompute(programme_ids=[programme.pk])
    client = login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/p/{programme.slug}/kpis/report/", {"period": "rolling"})
    assert response.status_code == 302
    report = KpiReport.objects.for_programme(programme).get()
    assert report.status == "ready"
    assert client.get(response["Location"]).content.decode().count("Download the PDF") == 1
    pdf = client.get(f"/p/{programme.slug}/kpis/reports/{report.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for name in (
        "FLS assessment within 12 weeks",
        "Data completeness",
        "Medication at 52 weeks",
        "Methods",
        "Benchmarking",
        "Ярославль",
        "臺北",
    ):
        assert name in text, name
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts


def test_another_programmes_report_answers_404(programme, other_programme, coordinator, login, make_episode):
    make_episode(other_programme, patient_ref="X")
    services.results_recompute(programme_ids=[other_programme.pk])
    report = services.report_request(
        programme=other_programme, actor=None, start=date(2025, 1, 1), end=date(2025, 12, 31), as_of=date(2026, 1, 1)
    )
    client = login(coordinator)
    assert client.get(f"/p/{programme.slug}/kpis/reports/{report.pk}/").status_code == 404
    assert client.get(f"/p/{programme.slug}/kpis/reports/{report.pk}/pdf/").status_code == 404


def test_kpi_api_gives_the_contract_and_checks_parameters(programme, coordinator, login, make_episode):
    make_episode(programme, coordinator)
    client = login(coordinator)
    data = client.get(
        f"/api/v1/programmes/{programme.slug}/kpis/",
        {"start": "2020-01-01", "end": "2030-12-31", "as_of": "2031-01-01"},
    ).json()
    assert (data["episodes"], len(data["kpis"]), data["kpi_set"]) == (1, 11, "iof-2020")
    assert client.get(f"/api/v1/programmes/{programme.slug}/kpis/", {"start": "2025-01-01"}).status_code == 400
    assert (
        client.get(
            f"/api/v1/programmes/{programme.slug}/kpis/", {"start": "2025-01-01", "end": "2025-12-31", "kpi_set": "x"}
        ).status_code
        == 400
    )


def test_expected_caseload_api_is_for_leads(programme, lead, coordinator, login):
    url = f"/api/v1/programmes/{programme.slug}/expected-caseload/"
    body = {"year": 2026, "non_spine": 500, "spine": 90}
    assert login(coordinator).post(url, body, content_type="application/json").status_code == 403
    assert login(lead).post(url, body, content_type="application/json").json() == body
    assert login(coordinator).get(url).json() == [body]
    programme.refresh_from_db()
    assert programme.data_changed_at is not None


def test_programme_kpi_set_selects_the_engine_set(programme, coordinator, login, make_episode):
    Programme.objects.filter(pk=programme.pk).update(kpi_set="fls-db")
    programme.refresh_from_db()
    make_episode(programme, coordinator)
    services.results_recompute(programme_ids=[programme.pk])
    page = login(coordinator).get(f"/p/{programme.slug}/kpis/").content.decode()
    assert "FLS assessment within 90 days" in page


def test_the_lead_chooses_the_kpi_set_in_the_settings(programme, lead, login):
    client = login(lead)
    page = client.get(f"/p/{programme.slug}/settings/").content.decode()
    assert 'value="fls-db"' in page
    form = {
        "name": programme.name,
        "institution": "",
        "city": "",
        "care_setting": "",
        "languages": "en",
        "public_profile": "",
        "kpi_set": "fls-db",
    }
    assert client.post(f"/p/{programme.slug}/settings/", form).status_code == 302
    programme.refresh_from_db()
    assert programme.kpi_set == "fls-db"
    form["kpi_set"] = "made-up"
    assert client.post(f"/p/{programme.slug}/settings/", form).status_code == 400


def test_a_report_is_not_rendered_for_someone_who_lost_access_before_the_worker_ran(
    programme, coordinator, lead, make_episode, django_capture_on_commit_callbacks
):
    from kpis.reports import report_render
    from programmes.models import Membership
    from programmes.services import membership_remove

    make_episode(programme, coordinator)
    services.results_recompute(programme_ids=[programme.pk])
    report = services.report_request(
        programme=programme, actor=coordinator, start=date(2025, 1, 1), end=date(2025, 12, 31), as_of=date(2026, 1, 1)
    )
    membership_remove(membership=Membership.objects.get(user=coordinator), actor=lead)
    assert report_render(report_id=report.pk) == "refused"
    report.refresh_from_db()
    assert (report.status, report.pdf) == ("failed", None)


def test_the_pdf_report_is_in_the_language_of_the_pages_it_was_asked_from(
    db, coordinator, login, make_episode, tmp_path, django_capture_on_commit_callbacks
):
    """A coordinator who reads English (her language is "the browser's") gets an English report from
    a Russian programme; in Russian when her pages are; a report asked for without a page (no actor)
    in the programme's language."""
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed")
    programme = ProgrammeFactory(slug="kazan-report", name="FLS Kazan", country="RU", languages=["ru"])
    MembershipFactory(programme=programme, user=coordinator, role="coordinator")
    make_episode(programme, coordinator, patient_ref="PDF2")
    services.results_recompute(programme_ids=[programme.pk])
    client = login(coordinator)

    def report_text(report) -> str:
        path = tmp_path / f"report-{report.pk}.pdf"
        path.write_bytes(client.get(f"/p/{programme.slug}/kpis/reports/{report.pk}/pdf/").content)
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout

    texts = {}
    for browser in ("en-GB,en;q=0.9", "ru-RU,ru;q=0.9"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"/p/{programme.slug}/kpis/report/", {"period": "rolling"}, headers={"accept-language": browser}
            )
        texts[browser[:2]] = report_text(KpiReport.objects.for_programme(programme).order_by("-pk").first())
    assert "Data completeness" in texts["en"] and "Полнота данных" not in texts["en"]
    assert "Полнота данных" in texts["ru"] and "Оценка в СППП в течение 12 недель" in texts["ru"]
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(
            programme=programme, actor=None, start=date(2025, 1, 1), end=date(2025, 12, 31), as_of=date(2026, 1, 1)
        )
    assert "Полнота данных" in report_text(report)
