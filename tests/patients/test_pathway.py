"""The episode page judges an episode exactly as the KPI engine does: one clinical truth."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from clinical.kpi_sets import FLS_DB, IOF_2020, KPI_SETS
from kpis.engine import Period, episode_outcomes
from kpis.reference import _complete
from patients.importer import episodes_import
from patients.models import Episode
from patients.pathway import episode_pathway
from patients.synthetic import synthetic_cohort
from programmes.models import Programme
from programmes.rls import programme_scope

TODAY = timezone.localdate()
OUTCOME_ROW = re.compile(r'data-kpi="(KPI\d+)" data-outcome="(\w+)"')


def page_outcomes(client, programme, episode) -> dict[str, str]:
    page = client.get(f"/p/{programme.slug}/episodes/{episode.pk}/").content.decode()
    return dict(OUTCOME_ROW.findall(page))


@pytest.mark.parametrize("kpi_set", sorted(KPI_SETS))
def test_the_episode_page_shows_the_engines_outcome_for_every_episode_of_a_random_cohort(
    programme, coordinator, login, kpi_set
):
    Programme.objects.filter(pk=programme.pk).update(kpi_set=kpi_set)
    programme.refresh_from_db()
    rows = synthetic_cohort(count=150, start=TODAY - timedelta(days=500), end=TODAY, today=TODAY, seed=7)
    episodes_import(programme=programme, rows=[(n + 2, row, []) for n, row in enumerate(rows)], today=TODAY)
    definitions = KPI_SETS[kpi_set]
    everything = Period(date(2000, 1, 1), TODAY)
    engine: dict[int, dict[str, str]] = {}
    for kpi in definitions.kpis:
        for outcome in ("met", "not_met", "pending", "not_eligible"):
            for episode_id in episode_outcomes(programme, kpi, period=everything, as_of=TODAY, outcome=outcome):
                engine.setdefault(episode_id, {})[kpi.code] = outcome
    client = login(coordinator)
    with programme_scope(programme.pk):
        episodes = list(Episode.objects.for_programme(programme).select_related("patient"))
    assert len(episodes) == 150
    seen = set()
    for episode in episodes:
        shown = page_outcomes(client, programme, episode)
        assert shown == engine[episode.pk], episode.values()
        seen.update(shown.values())
    assert seen == {"met", "not_met", "pending", "not_eligible"}  # the cohort exercises every outcome


def test_missing_items_agree_with_the_naive_completeness_rule(programme):
    rows = synthetic_cohort(count=200, start=TODAY - timedelta(days=600), end=TODAY, today=TODAY, seed=3)
    episodes_import(programme=programme, rows=[(n + 2, row, []) for n, row in enumerate(rows)], today=TODAY)
    complete = 0
    with programme_scope(programme.pk):
        episodes = list(Episode.objects.for_programme(programme).select_related("patient"))
    for episode in episodes:
        pathway = episode_pathway(episode, IOF_2020, TODAY)
        naive = _complete(episode.values(), TODAY)
        assert (not pathway.missing) is naive, (pathway.missing, episode.values())
        assert (pathway.outcome("KPI11") == "met") is naive
        complete += naive
    assert 0 < complete < 200


def on_medication(fracture: date, **values) -> dict:
    return {
        "fracture_date": fracture.isoformat(),
        "aom_recommended": "yes",
        "aom_started": "yes",
        "aom_started_date": (fracture + timedelta(days=50)).isoformat(),
        "first_followup_date": (fracture + timedelta(days=100)).isoformat(),
        **values,
    }


def test_a_second_follow_up_on_day_380_with_medication_still_prescribed_meets_kpi10(
    programme, coordinator, login, make_episode
):
    fracture = TODAY - timedelta(days=400)
    episode = make_episode(
        programme,
        coordinator,
        **on_medication(fracture, second_followup_date=(fracture + timedelta(days=380)).isoformat(), aom_at_52w="yes"),
    )
    assert page_outcomes(login(coordinator), programme, episode)["KPI10"] == "met"


def test_a_patient_on_medication_who_died_on_day_350_is_not_eligible_for_kpi10(
    programme, coordinator, login, make_episode
):
    fracture = TODAY - timedelta(days=400)
    episode = make_episode(
        programme, coordinator, **on_medication(fracture, death_date=(fracture + timedelta(days=350)).isoformat())
    )
    page = login(coordinator).get(f"/p/{programme.slug}/episodes/{episode.pk}/").content.decode()
    assert dict(OUTCOME_ROW.findall(page))["KPI10"] == "not_eligible"
    assert "left out: the patient died on day 350, within the window" in page


def test_a_programme_on_fls_db_sees_its_90_day_windows_on_the_timeline(programme, coordinator, login, make_episode):
    Programme.objects.filter(pk=programme.pk).update(kpi_set="fls-db")
    programme.refresh_from_db()
    fracture = TODAY - timedelta(days=200)
    episode = make_episode(
        programme,
        coordinator,
        fracture_date=fracture.isoformat(),
        fls_assessment_date=(fracture + timedelta(days=88)).isoformat(),
    )
    page = login(coordinator).get(f"/p/{programme.slug}/episodes/{episode.pk}/").content.decode()
    assert "day 90" in page and "day 84" not in page
    assert dict(OUTCOME_ROW.findall(page))["KPI3"] == "met"  # day 88 is within 90 days
    assert [days for days, _codes in FLS_DB.windows] == [90, 112, 364]


def test_dxa_not_required_is_not_pending_for_kpi4_on_the_page_or_in_the_engine(programme, coordinator, make_episode):
    fracture = TODAY - timedelta(days=10)
    episode = make_episode(
        programme,
        coordinator,
        fracture_date=fracture.isoformat(),
        identification_date="",
        fls_assessment_date="",
        fls_assessment="",
        dxa="not_required",
        dxa_date="",
        aom_started="",
        aom_started_date="",
        first_followup_date="",
    )
    pathway = episode_pathway(episode, IOF_2020, TODAY)
    kpi4 = next(j for j in pathway.judgements if j.kpi.code == "KPI4")
    assert (kpi4.outcome, kpi4.detail) == (
        "not_eligible",
        "does not apply: only when a scan is required (a clinician decided it is not)",
    )
    assert pathway.outcome("KPI3") == "pending"
    from kpis.engine import compute_for_programme

    result = compute_for_programme(programme, start=fracture, end=fracture, as_of=TODAY)
    pending = {k["code"]: k["pending"] for k in result["kpis"]}
    assert (pending["KPI3"], pending["KPI4"]) == (1, 0)


def test_timeline_labels_of_close_windows_never_share_a_row_and_events_read_whole(
    programme, coordinator, login, make_episode
):
    episode = make_episode(programme, coordinator, patient_ref="T1", falls_assessment="", sb_started="")
    pathway = episode_pathway(episode, IOF_2020, TODAY)
    windows = pathway.windows
    assert [w.days for w in windows] == [84, 112, 364]
    for left, right in zip(windows, windows[1:], strict=False):
        assert left.label_row != right.label_row or right.x - left.x > 80
    page = login(coordinator).get(f"/p/{programme.slug}/episodes/{episode.pk}/").content.decode()
    assert "Identified by the FLS</li>" in page
    assert "notapplicable" not in page and "not_eligible</span>" not in page
    assert "on day 20 (" in page  # the FLS assessment, within the window
    missing = re.search(r'<ul aria-labelledby="missing-h" class="missing">(.*?)</ul>', page, re.S).group(1)
    assert "Falls risk assessment" in missing and "Strength and balance exercise started" in missing


def test_a_20_day_old_episode_shows_open_kpis_as_not_yet_on_its_page_and_in_the_drill_down(
    programme, coordinator, login, make_episode
):
    """KPI5 and KPI6 have no window: without their event they are still to do ("not yet"), beside
    KPI3 "pending"; the drill-down's to-do list says the same."""
    fracture = TODAY - timedelta(days=20)
    blank = dict.fromkeys(
        ("fls_assessment", "fls_assessment_date", "dxa", "dxa_date", "falls_assessment", "aom_recommended", "aom_drug")
        + ("first_followup_date", "aom_started", "aom_started_date", "sb_started"),
        "",
    )
    episode = make_episode(
        programme,
        coordinator,
        **blank,
        fracture_date=fracture.isoformat(),
        identification_date=(fracture + timedelta(days=2)).isoformat(),
    )
    client = login(coordinator)
    page = client.get(f"/p/{programme.slug}/episodes/{episode.pk}/").content.decode()
    rows = dict(re.findall(r'data-kpi="(KPI\d+)"(.*?)</tr>', page, re.S))
    for code in ("KPI5", "KPI6"):
        assert 'class="state state-open">not yet<' in rows[code], code
        assert "not met" not in rows[code]
    assert 'class="state state-pending">pending<' in rows["KPI3"]
    from kpis.services import results_recompute

    results_recompute(programme_ids=[programme.pk])
    drill = client.get(f"/p/{programme.slug}/kpis/KPI5/").content.decode()
    assert "Not yet (the to-do list)" in drill and "Not met (the to-do list)" not in drill
    assert "Not met (the to-do list)" in client.get(f"/p/{programme.slug}/kpis/KPI3/").content.decode()
