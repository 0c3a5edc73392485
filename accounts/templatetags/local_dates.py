"""``short_date``: a date in the reader's short format, as ``|date:"SHORT_DATE_FORMAT"`` writes it,
for the long lists (worklist, episode list). Django's filter looks the format up and parses it on
every call (about 20 µs); this one does both once per language, so a row costs a few µs."""

from collections.abc import Callable
from datetime import date
from functools import lru_cache

from django import template
from django.utils.dateformat import format as django_format
from django.utils.formats import get_format
from django.utils.translation import get_language

register = template.Library()

# The format characters a short date uses; any other format falls back to Django's formatter.
_PARTS: dict[str, Callable[[date], str]] = {
    "d": lambda d: f"{d.day:02d}",
    "j": lambda d: str(d.day),
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "Y": lambda d: f"{d.year:04d}",
    "y": lambda d: f"{d.year % 100:02d}",
}


# Django's format characters (django.utils.dateformat); any other character is written as it is.
_FORMAT_CHARACTERS = frozenset("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ")


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> Callable[[date], str] | None:
    parts: list[Callable[[date], str]] = []
    escaped = False
    for char in pattern:
        if char == "\\" and not escaped:
            escaped = True
        elif escaped or char not in _FORMAT_CHARACTERS:
            parts.append(lambda _d, text=char: text)
            escaped = False
        elif char in _PARTS:
            parts.append(_PARTS[char])
        else:
            return None
    return lambda value: "".join(part(value) for part in parts)


@register.filter
def short_date(value) -> str:
    if not value:
        return ""
    pattern, formatter = _short_format(get_language())
    return formatter(value) if formatter is not None else django_format(value, pattern)


@lru_cache(maxsize=64)
def _short_format(language: str | None) -> tuple[str, Callable[[date], str] | None]:
    """The language's SHORT_DATE_FORMAT, compiled; looked up once per language (``get_format``
    itself costs more than the formatting)."""
    pattern = get_format("SHORT_DATE_FORMAT", lang=language)
    return pattern, _compiled(pattern)
