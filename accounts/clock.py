"""Each programme's own clock, and each reader's.

"Today" is the programme's date: a programme in Taipei is already on tomorrow at 20:30 UTC, one in
Lima is still on today. Every rule that says "today" (KPI ``as_of``, "not after today", the
worklist's groups, booking deadlines, review due dates, reminder days) asks ``today(programme)``.
Pages show times in the reader's zone (``reader_zone``: their own setting, else their programme's),
activated per request by ``ReaderTimeZoneMiddleware`` (below).

A programme's zone is ``Programme.time_zone`` (an IANA name). When it is not given, it is the
country's zone nearest the programme's coordinates, or, without coordinates, the country's main
zone: the first of its zones with the most common UTC offset among them. Both come from the IANA
time-zone database's country table (``zone.tab`` of the ``tzdata`` package, which pip keeps up to
date), not from a list of our own.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from datetime import date, datetime
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_COORDINATES = re.compile(r"^([+-])(\d{2})(\d{2})(\d{2})?([+-])(\d{3})(\d{2})(\d{2})?$")


def _degrees(sign: str, whole: str, minutes: str, seconds: str | None) -> float:
    value = int(whole) + int(minutes) / 60 + int(seconds or 0) / 3600
    return -value if sign == "-" else value


@functools.cache
def country_zones() -> dict[str, list[tuple[str, float, float]]]:
    """Country code -> [(zone, latitude, longitude)], in the table's order."""
    text = (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[tuple[str, float, float]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        country, coordinates, name = line.split("\t")[:3]
        match = _COORDINATES.match(coordinates)
        if not match:
            continue
        lat_sign, lat_d, lat_m, lat_s, lon_sign, lon_d, lon_m, lon_s = match.groups()
        zones.setdefault(country, []).append(
            (name, _degrees(lat_sign, lat_d, lat_m, lat_s), _degrees(lon_sign, lon_d, lon_m, lon_s))
        )
    return zones


def _distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (radians): enough to choose the nearest zone."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    return math.acos(max(-1.0, min(1.0, math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))))


def default_zone(country: str, latitude=None, longitude=None) -> str:
    """The zone a programme in ``country`` (at these coordinates, when known) keeps by default."""
    zones = country_zones().get(str(country or "").upper())
    if not zones:
        return settings.TIME_ZONE
    if len(zones) == 1:
        return zones[0][0]
    if latitude is not None and longitude is not None:
        lat, lon = float(latitude), float(longitude)
        return min(zones, key=lambda zone: _distance(lat, lon, zone[1], zone[2]))[0]
    now = timezone.now()
    offsets = [now.astimezone(ZoneInfo(name)).utcoffset() for name, _lat, _lon in zones]
    commonest = Counter(offsets).most_common(1)[0][0]
    return next(name for (name, _lat, _lon), offset in zip(zones, offsets, strict=True) if offset == commonest)


@functools.cache
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


# The areas of the IANA names people pick from ("Europe/Rome"); the old aliases ("GB", "NZ",
# "US/Eastern") stay valid when typed or stored, but a list never offers them (they read as codes).
_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


def offered_zones() -> list[str]:
    """The zones a list offers, sorted: every "Area/Place" name, and UTC."""
    return ["UTC", *sorted(name for name in zone_names() if name.startswith(_AREAS))]


def validate_zone(value: str) -> None:
    if value and value not in zone_names():
        raise ValidationError(
            _("'%(value)s' is not a time zone of the IANA database, such as Europe/Moscow or Asia/Taipei")
            % {"value": value}
        )


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def programme_zone(programme) -> ZoneInfo:
    return zone(
        getattr(programme, "time_zone", "") or default_zone(programme.country, programme.latitude, programme.longitude)
    )


def today_in(name: str | None, now: datetime | None = None) -> date:
    """The date in zone ``name`` at ``now`` (default: this moment)."""
    return (now or timezone.now()).astimezone(zone(name)).date()


def dates_in(zones, now: datetime) -> dict[str, date]:
    """Each of these zones' date at ``now``, each zone worked out once."""
    return {name: today_in(name, now) for name in set(zones)}


def today(programme) -> date:
    """The programme's date now: what "today" means for its rules."""
    return timezone.now().astimezone(programme_zone(programme)).date()


def reader_zone(user, programme=None) -> ZoneInfo:
    """Where a reader reads times: their own zone, else the programme's they are looking at, else
    the registry's."""
    own = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
    if own:
        return zone(own)
    if programme is not None:
        return programme_zone(programme)
    return ZoneInfo(settings.TIME_ZONE)


class ReaderTimeZoneMiddleware:
    """Times on pages are shown in the reader's zone: their own setting when they chose one, else
    (``resolve_programme_access`` activates it) the zone of the programme they are looking at, else
    the registry's. Ends with the request, so no thread keeps one reader's zone for the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.activate(reader_zone(getattr(request, "user", None)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def activate_reader_zone(user, programme) -> None:
    """A request about ``programme``: its zone, unless the reader chose their own."""
    timezone.activate(reader_zone(user, programme))
