"""The pages a person meets when something is refused or missing: the site's own, in their language,
saying what happened and that nothing was saved, with a way back."""

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import translation

from fls_registry.views import server_error
from patients.models import Episode
from programmes.rls import programme_scope
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def russian(message: str) -> str:
    with translation.override("ru"):
        return translation.gettext(message)


def test_a_missing_page_is_the_sites_page_in_the_readers_language(client):
    response = client.get("/no-such-page/", headers={"accept-language": "ru"})
    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="ru">' in page
    assert russian("Page not found") in page and russian("Go to the start page") in page
    assert russian("Page not found") != "Page not found"  # the test can tell the languages apart


def test_another_programmes_page_reads_like_any_missing_page(login, coordinator, other_programme):
    page = login(coordinator).get(f"/p/{other_programme.slug}/").content.decode()
    assert "Page not found" in page
    assert other_programme.name not in page  # nothing tells that it exists


def test_a_refusal_says_so_and_that_nothing_changed(login, viewer, programme):
    response = login(viewer).get(f"/p/{programme.slug}/episodes/new/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Not allowed" in page and "Nothing was changed." in page
    assert 'class="site-header"' in page  # the site's own page, with its navigation


def test_an_expired_form_is_refused_in_the_readers_language_and_nothing_is_saved(coordinator, programme):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = client.post(
        f"/p/{programme.slug}/episodes/new/",
        {"patient_ref": "CSRF-1", "sex": "female", "birth_date": "1950-01-01", "fracture_date": "2026-01-01"},
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert russian("This form could not be accepted") in page
    assert russian("Go back, reload the page and enter it again.") in page
    assert "CSRF verification failed" not in page
    with programme_scope(programme.pk):
        assert not Episode.objects.for_programme(programme).filter(patient__patient_ref="CSRF-1").exists()


def test_the_error_page_renders_without_the_database_in_the_active_language(django_assert_num_queries):
    request = RequestFactory().get("/")
    with translation.override("fr"), django_assert_num_queries(0):
        response = server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="fr">' in page
    with translation.override("fr"):
        assert translation.gettext("Something went wrong") in page
    assert "Something went wrong" not in page


def test_the_unavailable_page_renders_without_the_database_in_the_active_language(django_assert_num_queries):
    from fls_registry.middleware import database_unavailable

    with translation.override("ru"), django_assert_num_queries(0):
        response = database_unavailable(RequestFactory().get("/p/yaroslavl-rech/"))
    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert '<html lang="ru">' in page
    assert russian("Temporarily unavailable") in page and "Temporarily unavailable" not in page
