"""The catalogue is versioned data: a published version never changes, an application keeps its own."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from recognition import selectors, services
from recognition.models import CatalogueVersion


def test_the_seeded_catalogue_has_13_standards_in_five_domains_and_says_whose_words_they_are(catalogue):
    standards = list(catalogue.standards.all())
    assert [s.number for s in standards] == list(range(1, 14))
    assert {d for s in standards for d in s.domains} == {"hip", "inpatient", "outpatient", "vertebral", "organisation"}
    assert not any(s.official_wording_held for s in standards)
    assert standards[8].kpi_codes == ["KPI6", "KPI8"]
    assert catalogue.is_published


def test_a_new_version_is_a_copy_edited_then_published_and_old_applications_keep_theirs(
    catalogue, programme, lead, iof_staff, start_application
):
    first = start_application(programme, lead)
    draft = services.catalogue_copy(catalogue=catalogue, actor=iof_staff)
    assert not draft.is_published and draft.standards.count() == 13
    assert selectors.current_catalogue() == catalogue  # a draft is not used yet
    draft.standards.filter(number=5).update(name="Assessment guidelines (revised)")
    services.catalogue_publish(catalogue=draft, actor=iof_staff)
    assert selectors.current_catalogue() == draft
    first.refresh_from_db()
    assert first.catalogue == catalogue
    assert first.catalogue.standards.get(number=5).name == "Assessment guidelines"
    with pytest.raises(ValidationError):
        services.catalogue_publish(catalogue=draft, actor=iof_staff)


def test_a_catalogue_without_its_13_standards_cannot_be_published(catalogue, iof_staff):
    draft = services.catalogue_copy(catalogue=catalogue, actor=iof_staff)
    draft.standards.filter(number=13).delete()
    with pytest.raises(ValidationError):
        services.catalogue_publish(catalogue=draft, actor=iof_staff)


def test_only_iof_staff_edit_the_catalogue(catalogue, lead, reviewers):
    for person in (lead, reviewers[0]):
        with pytest.raises(PermissionDenied):
            services.catalogue_copy(catalogue=catalogue, actor=person)
    assert CatalogueVersion.objects.count() == 1


def test_the_admin_shows_a_published_version_read_only(catalogue, iof_staff, login):
    client = login(iof_staff)
    page = client.get(f"/admin/recognition/catalogueversion/{catalogue.pk}/change/")
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # read-only
    draft = services.catalogue_copy(catalogue=catalogue, actor=iof_staff)
    page = client.get(f"/admin/recognition/catalogueversion/{draft.pk}/change/")
    assert 'name="title"' in page.content.decode()
    assert 'name="standards-0-name"' in page.content.decode()


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("en", "Patient identification"),
        ("ru", "Выявление пациентов"),
        ("zh-hant", "病人辨識"),
        ("es", "Identificación de pacientes"),
    ],
)
def test_the_standards_are_read_in_the_readers_language(catalogue, client, language, name):
    page = client.get("/recognition/catalogue/", headers={"accept-language": language}).content.decode()
    assert f"1. {name}" in page


def test_a_standard_without_a_translation_falls_back_to_english(catalogue, client):
    catalogue.standards.get(number=7).texts.filter(language="fr").delete()
    catalogue.standards.get(number=8).texts.filter(language="fr").update(intent="")
    page = client.get("/recognition/catalogue/", headers={"accept-language": "fr"}).content.decode()
    assert "7. Falls prevention services" in page
    assert "8. Évaluation globale des facteurs de risque" in page
    assert "Lifestyle and health factors that affect bone health" in page  # the empty intent, in English


def test_a_copied_version_keeps_the_translations_and_staff_may_correct_a_published_one(catalogue, iof_staff, login):
    draft = services.catalogue_copy(catalogue=catalogue, actor=iof_staff)
    assert draft.standards.get(number=1).texts.get(language="it").name == "Identificazione dei pazienti"
    text = catalogue.standards.get(number=1).texts.get(language="it")
    client = login(iof_staff)
    page = client.get(f"/admin/recognition/standardtext/{text.pk}/change/").content.decode()
    assert 'name="name"' in page and "Patient identification" in page  # the English beside it


def test_only_iof_staff_reach_the_translations_in_the_admin(catalogue, lead, reviewers, login):
    for person in (lead, reviewers[0]):
        assert login(person).get("/admin/recognition/standardtext/").status_code in (302, 403)
