"""The language each person reads.

A signed-in person's choice on their profile comes first; then the switcher's cookie (visitors, or
people who never chose); then the browser's ``Accept-Language``; then ``LANGUAGE_CODE``. E-mails and
documents go out in the reader's language: their choice, else the language of the pages they last
used (recorded at log-in and by the chooser), else the programme's languages (a recipient without
an account).
"""

from collections.abc import Iterable

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def offered(code: str | None) -> str:
    """The offered language a code stands for (``zh-TW`` → ``zh-hant``, ``ru-RU`` → ``ru``), or ''."""
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return ""


def first_offered(*codes: str) -> str:
    """The first of ``codes`` the registry offers, else ``LANGUAGE_CODE``."""
    for code in codes:
        if found := offered(code):
            return found
    return settings.LANGUAGE_CODE


def language_of(user=None, *fallbacks: str) -> str:
    """The language to write to ``user`` in: their choice, else the language of the pages they last
    used (recorded at log-in and by the chooser), else the first offered fallback."""
    return first_offered(getattr(user, "language", "") or "", getattr(user, "pages_language", "") or "", *fallbacks)


def addresses_by_language(addresses: Iterable[str], *fallbacks: str) -> dict[str, list[str]]:
    """E-mail addresses grouped by the language their reader chose (an address without an account,
    or whose person has not chosen, takes the first offered fallback): one message per language."""
    from accounts.models import User

    addresses = list(dict.fromkeys(address.strip().lower() for address in addresses if address))
    read = {
        email: (chosen, last)
        for email, chosen, last in User.objects.filter(email__in=addresses).values_list(
            "email", "language", "pages_language"
        )
    }
    groups: dict[str, list[str]] = {}
    for address in addresses:
        groups.setdefault(first_offered(*read.get(address, ()), *fallbacks), []).append(address)
    return groups


def record_pages_language(user, language: str) -> None:
    """Remember the language of the pages ``user`` reads (at log-in, by the chooser): e-mails and
    documents follow it while they have chosen none."""
    from accounts.models import User

    language = offered(language)
    if user is not None and user.pk and language and user.pages_language != language:
        User.objects.filter(pk=user.pk).update(pages_language=language)
        user.pages_language = language


def on_log_in(sender, request, user, **kwargs) -> None:
    """At log-in: record the language of the pages the person was reading, and answer the rest of
    the request (allauth's "signed in" message) in the language they read from now on."""
    record_pages_language(user, translation.get_language())
    translation.activate(language_of(user, translation.get_language()))
    if request is not None:
        request.LANGUAGE_CODE = translation.get_language()


class RequestLanguageMiddleware:
    """First of all: the request's own language (the switcher's cookie, else the browser's) before
    anything answers. A thread serves one request after another and keeps the language the last one
    activated, so an answer given before ``PersonLanguageMiddleware`` runs (an oversized body,
    hostile input) would otherwise be in the previous reader's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class PersonLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, with the person's own choice first (so after authentication)."""

    def process_request(self, request):
        user = getattr(request, "user", None)
        chosen = offered(getattr(user, "language", "")) if user is not None and user.is_authenticated else ""
        if not chosen:
            return super().process_request(request)
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()
        return None
