"""Coded values are never shown raw: every country, language, care setting, recognition domain and
level a person reads goes through one label function (programmes.labels), in their language."""

import re

import pytest
from django.utils import translation

from programmes.labels import label, labels
from tests.factories import ProgrammeFactory

RU = {"accept-language": "ru"}


def test_the_label_function_names_each_kind_in_the_readers_language(db):
    with translation.override("ru"):
        assert label("country", "IT") == "Италия"
        assert labels("language", ["it", "en"]) == "Итальянский, Английский"
        assert label("care_setting", "inpatient") == "Стационар"
        assert label("level", "silver") not in ("silver", "Silver")
        assert label("domain", "hip") not in ("hip", "Hip fractures")
    with translation.override("zh-hant"):
        assert label("language", "zh") not in ("zh", "Chinese")
    assert label("country", "") == "" and label("level", "unknown-code") == "unknown-code"


def text_of(html: str) -> str:
    """What a reader sees: no tags, no attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_ranking_names_care_settings_and_countries(candidate, mentee, champion, login):
    page = login(mentee).get(f"/p/{candidate.slug}/mentorship/matches/", headers=RU).content.decode()
    body = text_of(page[page.index("<table") :])
    assert "inpatient" not in body and "mixed" not in body
    assert "Стационар" in body and "Россия" in body and not re.search(r"\bRU\b", body)


def test_the_training_days_filter_offers_languages_and_countries_by_name(champion, mentor, mentee, login):
    from tests.mentorship.conftest import publish_day

    publish_day(champion, mentor, language="ru")
    page = login(mentee).get("/mentorship/training-days/", headers=RU).content.decode()
    assert '<option value="ru">Русский</option>' in page
    assert '<option value="RU">Россия</option>' in page
    assert ">ru<" not in page and ">RU<" not in page


def test_the_join_form_offers_countries_and_languages_in_the_readers_language(client, db):
    page = client.get("/mentorship/join/", headers=RU).content.decode()
    assert '<option value="LT">Литва</option>' in page and ">Lithuania<" not in page
    assert '<option value="lt">Литовский</option>' in page
    assert 'id="place-map"' in page  # a place picked on the map


@pytest.mark.parametrize("language", ["it", "ru"])
def test_the_maps_language_filter_is_a_list_of_names(client, db, language):
    ProgrammeFactory(slug="milano", name="FLS Milano", country="IT", languages=["it"], status="active")
    page = client.get("/map/", headers={"accept-language": language}).content.decode()
    chooser = page[page.index('name="language"') : page.index("</select>", page.index('name="language"'))]
    assert "<option" in chooser
    answer = client.get("/map/", {"language": "Italian"}, headers={"accept-language": language})
    assert answer.status_code == 400  # not a code of the list: said, not a crash
