"""Each person reads the registry in their language: the profile's choice, else the switcher's
cookie, else the browser's; e-mails in the recipient's; dates in the locale's format."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from accounts.language import addresses_by_language, language_of
from programmes import services as programme_services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME_TITLE = {
    "en": "The registry for Fracture Liaison Services",
    "ru": "Регистр служб профилактики повторных переломов",
    "fr": "Le registre des filières fracture",
    "it": "Il registro dei Fracture Liaison Service",
    "es": "El registro de las unidades de coordinación de fracturas",
    "zh-hant": "骨折聯合照護服務登錄系統",
}


@pytest.mark.parametrize("left", ["ru", "zh-hant"])
def test_answers_given_before_the_session_is_read_are_in_the_requests_language(client, settings, left):
    """An oversized body is refused before anything is read: in the browser's language, not in the
    language the thread's previous request left active."""
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    body = b"[" + b" " * (3 * 1024 * 1024) + b"]"
    translation.activate(left)  # what the thread's previous request left
    english = client.post("/api/v1/programmes/x/episodes/bulk/", data=body, content_type="application/json")
    assert english.status_code == 413
    assert "at most 1.0 MB" in english.json()["detail"]
    french = client.post(
        "/api/v1/programmes/x/episodes/bulk/",
        data=body,
        content_type="application/json",
        headers={"accept-language": "fr"},
    )
    assert "Rien n'a été lu ni enregistré." in french.json()["detail"]
    assert translation.get_language() == "fr"


@pytest.mark.parametrize("language", sorted(HOME_TITLE))
def test_a_visitor_reads_the_home_page_in_the_browsers_language(client, language):
    page = client.get("/", headers={"accept-language": f"{language},en;q=0.5"}).content.decode()
    assert HOME_TITLE[language] in page
    assert f'<html lang="{language}">' in page


def test_a_taiwanese_browser_gets_traditional_chinese(client):
    page = client.get("/", headers={"accept-language": "zh-TW,zh;q=0.9"}).content.decode()
    assert HOME_TITLE["zh-hant"] in page


def test_the_switcher_sets_a_visitors_language_over_the_browsers(client):
    response = client.post("/accounts/language/", {"language": "fr", "next": "/map/"})
    assert response.status_code == 302 and response["Location"] == "/map/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert HOME_TITLE["fr"] in client.get("/", headers={"accept-language": "ru"}).content.decode()


def test_the_switcher_never_sends_a_visitor_to_another_site(client):
    response = client.post("/accounts/language/", {"language": "it", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_an_unknown_language_is_refused_with_a_message(client):
    response = client.post("/accounts/language/", {"language": "xx"})
    assert response.status_code == 400
    assert "xx" in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_a_persons_chosen_language_wins_over_browser_and_cookie(login, coordinator):
    coordinator.language = "it"
    coordinator.save(update_fields=["language"])
    client = login(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get("/accounts/profile/", headers={"accept-language": "ru"}).content.decode()
    assert '<html lang="it">' in page and "Il tuo account" in page


def test_the_switcher_saves_a_signed_in_persons_choice_and_can_clear_it(login, coordinator):
    client = login(coordinator)
    client.post("/accounts/language/", {"language": "es", "next": "/accounts/profile/"})
    coordinator.refresh_from_db()
    assert coordinator.language == "es"
    client.post("/accounts/language/", {"language": "", "next": "/accounts/profile/"})
    coordinator.refresh_from_db()
    assert coordinator.language == ""
    page = client.get("/accounts/profile/", headers={"accept-language": "ru"}).content.decode()
    assert '<html lang="ru">' in page


def test_dates_are_written_in_the_readers_format(login, coordinator, episode):
    coordinator.language = "ru"
    coordinator.save(update_fields=["language"])
    page = login(coordinator).get(f"/p/{episode.programme.slug}/episodes/{episode.pk}/").content.decode()
    assert episode.fracture_date.strftime("%d.%m.%Y") in page
    assert "Локализация перелома" in page


def test_english_dates_are_iso_8601():
    with translation.override("en"):
        from django.utils.formats import date_format

        assert date_format(datetime.date(2026, 3, 4), "SHORT_DATE_FORMAT") == "2026-03-04"


def test_the_language_to_write_in_falls_back_in_order():
    nobody = UserFactory.build(language="")
    assert language_of(UserFactory.build(language="ru"), "fr") == "ru"
    assert language_of(nobody, "de", "it") == "it"
    assert language_of(nobody) == "en"
    assert language_of(None, "zh-TW") == "zh-hant"


def test_addresses_are_grouped_by_the_language_their_reader_chose(db):
    UserFactory(email="anna@hospital.example", language="ru")
    UserFactory(email="luca@hospital.example", language="")
    groups = addresses_by_language(["Anna@hospital.example", "luca@hospital.example", "new@clinic.example"], "it")
    assert groups == {"ru": ["anna@hospital.example"], "it": ["luca@hospital.example", "new@clinic.example"]}


def test_the_language_of_the_pages_last_used_comes_before_the_programmes(db):
    """IOF staff who read English but never chose a language get a French programme's e-mails in
    English; whoever chose wins; nobody known falls back to the programme's."""
    staff = UserFactory(email="staff@iof.example", language="", pages_language="en")
    assert language_of(staff, "fr") == "en"
    UserFactory(email="chose@iof.example", language="ru", pages_language="en")
    groups = addresses_by_language(["staff@iof.example", "chose@iof.example", "new@clinic.example"], "fr")
    assert groups == {"en": ["staff@iof.example"], "ru": ["chose@iof.example"], "fr": ["new@clinic.example"]}


def test_an_invitation_goes_out_in_the_programmes_language(programme, lead, django_capture_on_commit_callbacks):
    programme.languages = ["ru", "en"]
    programme.save(update_fields=["languages"])
    with django_capture_on_commit_callbacks(execute=True):
        programme_services.invitation_create(
            actor=lead, email="new.nurse@hospital.example", role="coordinator", programme=programme
        )
    assert [m.subject for m in mail.outbox] == ["Приглашение в регистр СППП"]


def test_an_invitation_to_someone_with_an_account_follows_their_language(
    programme, lead, django_capture_on_commit_callbacks
):
    programme.languages = ["ru"]
    programme.save(update_fields=["languages"])
    UserFactory(email="visiting.doctor@hospital.example", language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        programme_services.invitation_create(
            actor=lead, email="visiting.doctor@hospital.example", role="viewer", programme=programme
        )
    assert [m.subject for m in mail.outbox] == ["Invitation au registre des filières fracture"]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_lists_short_date_writes_what_djangos_date_filter_writes(language):
    from django.template.defaultfilters import date as date_filter

    from accounts.templatetags.local_dates import _compiled, short_date

    with translation.override(language):
        for day in (datetime.date(2026, 3, 4), datetime.date(1999, 12, 31)):
            assert short_date(day) == date_filter(day, "SHORT_DATE_FORMAT")
    assert short_date(None) == ""
    assert _compiled(r"j \d\e F") is None  # a month's name: Django's own formatter writes it


def test_coded_values_read_in_each_readers_language_from_one_lookup_per_language():
    from patients.models import Episode, Patient

    episode = Episode(fracture_site="other", dxa="not_required", fls_assessment="")
    patient = Patient(sex="other")
    with translation.override("ru"):
        assert (episode.get_fracture_site_display(), patient.get_sex_display()) == ("другая", "другой")
        assert episode.get_dxa_display() == translation.gettext("not required") != "not required"
    with translation.override("fr"):
        assert episode.get_fracture_site_display() == translation.pgettext("fracture site", "other")
    with translation.override("en"):
        assert (episode.get_fracture_site_display(), episode.get_dxa_display()) == ("other", "not required")
    assert episode.get_fls_assessment_display() == ""  # blank stays blank: the lists print "—"
    assert Episode(fracture_site="not-a-site").get_fracture_site_display() == "not-a-site"


def test_logging_in_records_the_pages_language_and_says_so_in_the_persons_language(db):
    """Her language is "the browser's": logging in from an Italian browser records Italian for her
    e-mails and documents. A person who chose Russian is told "signed in" in Russian, whatever
    the browser they log in from."""
    from django.test import Client

    from tests.factories import PASSWORD

    browser_reader = UserFactory(email="anna@hospital.example", language="")
    client = Client(headers={"accept-language": "it"})
    assert client.post("/accounts/login/", {"login": browser_reader.email, "password": PASSWORD}).status_code == 302
    browser_reader.refresh_from_db()
    assert browser_reader.pages_language == "it"
    assert language_of(browser_reader, "ru") == "it"

    russian = UserFactory(email="olga@hospital.example", language="ru")
    client = Client(headers={"accept-language": "en"})
    response = client.post("/accounts/login/", {"login": russian.email, "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert "Successfully signed in" not in page
    with translation.override("ru"):
        signed_in = translation.gettext("Successfully signed in as %(name)s.").split("%(")[0].strip()
    assert signed_in and signed_in in page


def test_the_chooser_records_the_pages_language(client, db):
    from tests.conftest import sign_in

    person = UserFactory(language="")
    sign_in(client, person)
    client.post("/accounts/language/", {"language": "zh-hant", "next": "/"})
    person.refresh_from_db()
    assert person.pages_language == "zh-hant"


def test_a_number_takes_the_plural_form_of_the_readers_language(db):
    """ "прошло 84 дня", not "84 дней": each language's own plural forms where a number meets a noun."""
    from django.template import Context, Template

    from clinical.kpi_sets import IOF_2020

    with translation.override("ru"):
        definition = str(IOF_2020.get("KPI3").definition)
        assert "прошло 84 дня" in definition and "прошло 84 дней" not in definition
        seats = Template(
            "{% load i18n %}{% blocktranslate with free=1 waiting=0 count seats=n %}{{ seats }} seat, {{ free }} free, "
            "{{ waiting }} waiting{% plural %}{{ seats }} seats, {{ free }} free, {{ waiting }} waiting{% endblocktranslate %}"
        )
        assert [seats.render(Context({"n": n})).split(",")[0] for n in (1, 3, 5, 21)] == [
            "1 место",
            "3 места",
            "5 мест",
            "21 место",
        ]
