"""One way to show a coded value to a person: ``label(kind, code)``, in the reader's language.

Coded values (a country, a language, a care setting, a recognition domain or level, a booking's
status) are stored as codes and are never shown raw: every page, PDF and e-mail goes through
``label`` (the template filters ``label`` and ``labels`` of ``programmes.templatetags.labels``).
The kinds known here are the ones the programme layer owns; an app above registers its own in its
``AppConfig.ready`` (``register("domain", DOMAIN_NAMES)``). An unknown code is shown as it is,
never hidden: a label missing for a new code shows in the page rather than losing the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache

from django.conf.locale import LANG_INFO
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_KINDS: dict[str, Callable[[str], str | None]] = {}
# Languages Django names only with a script or a region.
_LANGUAGE_NAMES = {"zh": _("Chinese")}


def register(kind: str, source: Mapping | Callable[[str], str | None]) -> None:
    """Teach ``label`` a kind: a mapping code → (lazy) label, or a function of the code."""
    _KINDS[kind] = source.get if isinstance(source, Mapping) else source


def label(kind: str, code) -> str:
    """``code`` of ``kind`` in the active language; '' for an empty code; the code itself when unknown."""
    if code is None or code == "":
        return ""
    code = getattr(code, "code", code)  # a django-countries Country
    found = _KINDS[kind](str(code))
    return str(found) if found else str(code)


def labels(kind: str, codes: Iterable | None, separator: str = ", ") -> str:
    return separator.join(label(kind, code) for code in codes or ())


def choices(kind: str, codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, label) pairs sorted by label in the reader's language: a filter's or a form's options."""
    return sorted(((code, label(kind, code)) for code in codes), key=lambda pair: pair[1].casefold())


def language_info(code: str) -> dict:
    """Django's facts about a language code (``name``, ``name_local``), through its fallback for a
    code Django knows only with a script or region; {} for an unknown code."""
    info = LANG_INFO.get(code) or {}
    return LANG_INFO.get(info["fallback"][0], {}) if "fallback" in info else info


def language_name(code: str) -> str | None:
    """An ISO 639-1 code as the reader calls the language ("it" → "Italian", "итальянский")."""
    if code in _LANGUAGE_NAMES:
        return str(_LANGUAGE_NAMES[code])
    name = language_info(code).get("name")
    return gettext(name) if name else None


@cache
def language_codes() -> tuple[str, ...]:
    """The ISO 639-1 languages a programme, a training day or a resource may be in."""
    return tuple(sorted({code for code in LANG_INFO if len(code) == 2} | set(_LANGUAGE_NAMES)))


def country_name(code: str) -> str | None:
    from django_countries import countries

    name = countries.name(code.upper())
    return str(name) if name else None


def register_programme_kinds() -> None:
    from accounts.models import GlobalRole
    from programmes.models import CareSetting, ProgrammeStatus, Role

    register("language", language_name)
    register("country", country_name)
    register("care_setting", dict(CareSetting.choices))
    register("programme_status", dict(ProgrammeStatus.choices))
    register("role", {**dict(Role.choices), **dict(GlobalRole.choices)})  # a programme's or a global one
    register(
        "granted_via",
        {
            "grant": _("on the global roles page"),
            "invitation": _("by an invitation"),
            "createsuperuser": _("by the createsuperuser command"),
        },
    )
