"""Guards on what arrives from outside: one place, for every page and endpoint of every app.

Bad input gets a 400 that says what and where, never a 500, and nothing is written:

- ``HostileInputMiddleware``: a NUL character (``\\0``) or a lone UTF-16 surrogate in the address,
  a query parameter or a form field is refused before any view runs (PostgreSQL cannot store it).
- ``StrictJSONParser`` (the API's parser): JSON nested deeper than ``MAX_JSON_DEPTH``, strings with
  NUL or a lone surrogate (``"\\ud800"``: no UTF-8 for it; the message names the field's path),
  ``NaN``/``Infinity``, numbers that overflow, and integers outside a 64-bit range are refused.
- ``int_param``: an integer from a query string or form (an id, a version), or a 400.
- ``api_exception_handler``: a ``BadRequest`` raised under the API answers as JSON like DRF's errors.

The CSV readers refuse NUL per cell themselves (``programmes.csvio``), with row and column.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import BadRequest, ValidationError
from django.http import JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

NUL = "\x00"
MAX_JSON_DEPTH = 20
BIGINT = 2**63 - 1


def nul_message(where: str) -> str:
    return _("%(where)s contains a NUL character (\\0), which is not text: remove it and send again.") % {
        "where": where
    }


def surrogate_in(text: str) -> bool:
    """A lone UTF-16 surrogate (JSON's "\\ud800" alone): it has no UTF-8 form, so PostgreSQL cannot store it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def surrogate_message(where: str) -> str:
    return _(
        "%(where)s contains a lone UTF-16 surrogate (half of a character pair), which is not text: remove it "
        "and send again."
    ) % {"where": where}


def _unstorable_in(request) -> tuple[str, str] | None:
    """Where the request carries text that cannot be stored, in words, and which kind ("nul" or
    "surrogate"), or None."""

    def kind(text: str) -> str | None:
        return "nul" if NUL in text else ("surrogate" if surrogate_in(text) else None)

    found = kind(request.path)
    if found:
        return _("The address"), found
    for label, params in ((_("query parameter"), request.GET), (_("form field"), _form(request))):
        for name, values in params.lists():
            for text in (name, *values):
                found = kind(text)
                if found:
                    shown = name.replace(NUL, "\\0").encode("utf-8", "backslashreplace").decode("utf-8")
                    return _("The %(kind)s '%(name)s'") % {"kind": label, "name": shown}, found
    return None


def _form(request):
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return request.POST
    return QueryDict()


def bad_request_response(request, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    return render(request, "400.html", {"message": message}, status=400)


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = _unstorable_in(request)
        if found is not None:
            where, kind = found
            return bad_request_response(request, nul_message(where) if kind == "nul" else surrogate_message(where))
        return self.get_response(request)


def bad_request(request, exception=None):
    """``handler400``: our own ``BadRequest`` messages are shown; others say only that the request was bad."""
    message = str(exception) if type(exception) is BadRequest and str(exception) else _("The request was not valid.")
    return bad_request_response(request, message)


def int_param(params, name: str, *, minimum: int = 1, maximum: int = BIGINT, required: bool = False) -> int | None:
    """An integer from a query string or form (``None`` when absent and not required), or a 400."""
    value = params.get(name, "")
    if value in ("", None):
        if required:
            raise BadRequest(_("'%(name)s' is required.") % {"name": name})
        return None
    text = str(value).strip()
    if not text.lstrip("-").isdigit() or not minimum <= int(text) <= maximum:
        raise BadRequest(
            _("'%(name)s' must be a whole number from %(min)s to %(max)s, not '%(value)s'.")
            % {"name": name, "min": minimum, "max": maximum, "value": text[:40]}
        )
    return int(text)


# --- JSON ------------------------------------------------------------------------------------


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text):
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


def _bounded_int(text):
    number = int(text)
    if not -BIGINT <= number <= BIGINT:
        raise ValueError(f"the integer {text[:40]}… is out of range")
    return number


def _check_structure(value, path: str = "$", depth: int = 1) -> None:
    """Depth and NUL characters, without recursion (the input decides how deep it goes)."""
    stack = [(value, path, depth)]
    while stack:
        item, where, level = stack.pop()
        if level > MAX_JSON_DEPTH:
            raise exceptions.ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels (at {where}); send a flatter document"
            )
        if isinstance(item, str):
            if NUL in item:
                raise exceptions.ParseError(
                    f"the text at {where} contains a NUL character (\\u0000), which is not allowed"
                )
            if surrogate_in(item):
                raise exceptions.ParseError(
                    f"the text at {where} contains a lone UTF-16 surrogate (half of a character pair, such as "
                    "\\ud800), which is not text"
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                if NUL in key or surrogate_in(key):
                    raise exceptions.ParseError(
                        f"a key in {where} contains a NUL character or a lone surrogate, which is not text"
                    )
                stack.append((child, f"{where}.{key}", level + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{index}]", level + 1) for index, child in enumerate(item))


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing what the registry can never store (see the module docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int)
        except RecursionError:
            raise exceptions.ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels; send a flatter document"
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        _check_structure(data)
        return data


def api_exception_handler(exc, context):
    """DRF's handler, plus a ``BadRequest`` (from ``int_param`` and friends) as a JSON 400."""
    from rest_framework.views import exception_handler  # not at import: DRF's views read this module's parser

    if isinstance(exc, BadRequest):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)


# --- API input fields: JSON's types as sent -----------------------------------------------------
# DRF's fields coerce: CharField stores 4242 as "4242", IntegerField takes " 802 ". A client that
# sends a number where text belongs (or text where a number belongs) has a bug the registry should
# name, not hide. Every serializer that reads request data uses these (tests/security/test_hostile_input.py).


class StrictText(serializers.CharField):
    default_error_messages = {"not_text": _("Send text (a JSON string), not %(kind)s.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text", kind=type(data).__name__)
        return super().to_internal_value(data)


class StrictSlug(StrictText, serializers.SlugField):
    pass


class StrictEmail(StrictText, serializers.EmailField):
    pass


class StrictInteger(serializers.IntegerField):
    default_error_messages = {"not_integer": _("Send a whole number (a JSON number), not %(kind)s.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_integer", kind=type(data).__name__)
        return super().to_internal_value(data)


# --- Dates: a sane range everywhere ----------------------------------------------------------------
# A date a person types is between 1900 and a few years ahead: 9999-12-31 is valid to Python but
# overflows every computation that adds a month or a year to it (a 12-month period, a calendar file).

EARLIEST_DATE = date(1900, 1, 1)
YEARS_AHEAD = 5


def latest_date(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))


def check_date_range(value: date | None, label: str) -> None:
    """``ValidationError`` naming ``label`` when ``value`` is before 1900 or more than a few years ahead."""
    if value is None:
        return
    latest = latest_date()
    if not EARLIEST_DATE <= value <= latest:
        raise ValidationError(
            _("%(label)s must be between %(first)s and %(last)s, not %(value)s.")
            % {
                "label": label,
                "first": EARLIEST_DATE.isoformat(),
                "last": latest.isoformat(),
                "value": value.isoformat(),
            }
        )


class DateInRange(forms.DateField):
    """A form's date, refused outside the sane range with a message on the field."""

    def validate(self, value):
        super().validate(value)
        check_date_range(value, str(self.label or _("The date")))


# --- One-line text ----------------------------------------------------------------------------------
# A name goes into e-mail subjects, headings and calendar files: a line break in it ends a header.

LINE_BREAKS = ("\r", "\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029")


def language_codes_in(text: str) -> list[str]:
    """The codes of a typed list ("ru; en", "ru,en", "ru en"), lower-cased, each once, in order."""
    return list(dict.fromkeys(code.lower() for code in re.split(r"[;,|\s]+", text) if code))


def one_line(text: str) -> str:
    """``text`` with every line break and run of spaces made one space (for an e-mail subject)."""
    for mark in LINE_BREAKS:
        text = text.replace(mark, " ")
    return " ".join(text.split())


def refuse_line_breaks(value: str) -> None:
    if any(mark in value for mark in LINE_BREAKS):
        raise ValidationError(_("Write this on one line: it may not hold a line break."))


class OneLine(forms.CharField):
    """A name, a place, a title: text on one line."""

    default_validators = [refuse_line_breaks]


class StrictLine(StrictText):
    """An API's one-line text (a name)."""

    default_validators = [refuse_line_breaks]
