"""Each programme's own clock: at 20:30 UTC on 3 December, Taipei is already on the 4th, Yaroslavl
(Moscow time) and Lima are still on the 3rd, and every rule that says "today" follows that."""

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import clock
from tests.conftest import client_for
from tests.factories import MembershipFactory, ProgrammeFactory, UserFactory

EVENING = datetime(2026, 12, 3, 20, 30, tzinfo=UTC)
DEC_3, DEC_4 = date(2026, 12, 3), date(2026, 12, 4)


@pytest.fixture
def at(monkeypatch):
    """Freeze the registry's clock at a moment (``timezone.now`` is what every "today" reads)."""

    def freeze(moment: datetime):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    freeze(EVENING)
    return freeze


@pytest.fixture
def three(db):
    return {
        "taipei": ProgrammeFactory(slug="taipei-fls", country="TW", time_zone=""),
        "yaroslavl": ProgrammeFactory(
            slug="yaroslavl-fls", country="RU", latitude="57.626100", longitude="39.884500", time_zone=""
        ),
        "lima": ProgrammeFactory(slug="lima-fls", country="PE", time_zone=""),
    }


def test_a_programme_gets_its_countrys_zone_from_the_time_zone_table(three):
    assert {name: p.time_zone for name, p in three.items()} == {
        "taipei": "Asia/Taipei",
        "yaroslavl": "Europe/Moscow",  # the country's zone nearest the coordinates
        "lima": "America/Lima",
    }
    assert clock.default_zone("RU") in {name for name, _lat, _lon in clock.country_zones()["RU"]}
    assert clock.default_zone("XX") == "UTC"


def test_each_programme_has_its_own_today(at, three):
    assert {name: clock.today(p) for name, p in three.items()} == {"taipei": DEC_4, "yaroslavl": DEC_3, "lima": DEC_3}


def test_compute_kpis_without_as_of_uses_the_programmes_date(at, three):
    def as_of(programme):
        out = io.StringIO()
        call_command("compute_kpis", programme.slug, "--start", "2025-01-01", "--end", "2025-12-31", stdout=out)
        return json.loads(out.getvalue())["as_of"]

    assert as_of(three["taipei"]) == "2026-12-04"
    assert as_of(three["yaroslavl"]) == "2026-12-03"
    assert as_of(three["lima"]) == "2026-12-03"


def test_not_after_today_is_the_programmes_today(at, three):
    from patients.services import episode_check

    values = {
        "patient_ref": "P-1",
        "sex": "F",
        "birth_date": "1950-01-01",
        "fracture_date": "2026-12-04",
        "fracture_site": "hip",
    }
    taipei = {e.field for e in episode_check(programme=three["taipei"], values=values)}
    lima = {e.field for e in episode_check(programme=three["lima"], values=values)}
    assert "fracture_date" not in taipei
    assert "fracture_date" in lima


def test_the_recompute_stores_each_programme_as_of_its_own_date_and_runs_after_its_midnight(at, three):
    from kpis import services
    from kpis.models import KpiState

    services.results_recompute(programme_ids=[p.pk for p in three.values()])
    states = dict(KpiState.objects.values_list("programme__slug", "as_of"))
    assert states == {"taipei-fls": DEC_4, "yaroslavl-fls": DEC_3, "lima-fls": DEC_3}
    assert services.programmes_on_a_new_day() == []
    at(datetime(2026, 12, 3, 21, 30, tzinfo=UTC))  # 00:30 in Moscow
    assert services.programmes_on_a_new_day() == [three["yaroslavl"].pk]
    at(datetime(2026, 12, 4, 5, 30, tzinfo=UTC))  # 00:30 in Lima
    assert sorted(services.programmes_on_a_new_day()) == sorted([three["yaroslavl"].pk, three["lima"].pk])


@pytest.mark.parametrize(("name", "zone"), [("taipei", "Asia/Taipei"), ("yaroslavl", "Europe/Moscow")])
def test_pages_show_times_in_the_readers_zone_with_its_name(at, three, name, zone):
    person = UserFactory()
    MembershipFactory(programme=three[name], user=person, role="coordinator")
    client = client_for(person)
    page = client.get(f"/p/{three[name].slug}/").content.decode()
    assert f"Times are shown in {zone} time." in page
    assert client.post("/accounts/profile/time-zone/", {"time_zone": "America/Lima"}).status_code == 302
    page = client.get(f"/p/{three[name].slug}/").content.decode()
    assert "Times are shown in America/Lima time." in page
    refused = client.post("/accounts/profile/time-zone/", {"time_zone": "Mars/Olympus"})
    assert refused.status_code == 400
    assert "Mars/Olympus" in refused.content.decode()


def test_the_programme_import_takes_a_time_zone_column(db):
    from programmes.csvio import CsvRejected
    from programmes.models import Programme
    from programmes.services import programme_import

    good = "slug,name,country,time_zone\nkazan-fls,Kazan FLS,RU,Europe/Moscow\nlima-fls,Lima FLS,PE,\n"
    programme_import(stream=io.StringIO(good))
    assert dict(Programme.objects.values_list("slug", "time_zone")) == {
        "kazan-fls": "Europe/Moscow",
        "lima-fls": "America/Lima",
    }
    with pytest.raises(CsvRejected) as rejected:
        programme_import(stream=io.StringIO("slug,name,country,time_zone\nx-fls,X,RU,Moscow\n"))
    assert "row 2" in str(rejected.value) and "time_zone" in str(rejected.value)


def test_expiry_reminders_count_in_each_programmes_days(at, three, recognise):
    from recognition import services

    expiry = DEC_4 + timedelta(days=30)  # 30 days ahead for Taipei (already on the 4th), 31 for Lima
    for name in ("taipei", "lima"):
        recognise(three[name], "silver", valid_until=expiry)
    sent = services.expiry_reminders_send()
    assert sent == 2  # Taipei its 30-day reminder (30 days in its days), Lima its 90-day one (31 days)
    assert services.expiry_reminders_send() == 0
    at(datetime(2026, 12, 4, 5, 30, tzinfo=UTC))  # Lima reaches the 4th: its 30-day reminder; Taipei nothing new
    assert services.expiry_reminders_send() == 1
