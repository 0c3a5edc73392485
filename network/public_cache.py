"""The public documents (the map's GeoJSON, the figures) are built at most once per cache period.

Each is stored with its ETag under a key that carries a data version: the public face's own writes
(a lead's opt-in, a resource) bump it, so they show at once; everything else (a recognition decided,
an offer opened, new KPI figures) shows when the period ends (``PUBLIC_CACHE_SECONDS``).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "network:public-version"


def bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)


def cached_document(key: str, build, *, prebuilt: bool = False) -> tuple[bytes, str]:
    """(JSON body, strong ETag) of a public document; ``build`` returns the data, or the JSON text
    itself when ``prebuilt`` (the GeoJSON comes out of PostgreSQL ready)."""

    def document() -> tuple[bytes, str]:
        built = build()
        body = (
            built if prebuilt else json.dumps(built, ensure_ascii=False, separators=(",", ":"), default=str)
        ).encode()
        return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

    return cached_value(key, document)


def cached_value(key: str, build):
    """A public read's result (plain data), built at most once per cache period and data version, as
    the documents are: the map page's list and filters then show what its GeoJSON shows."""
    full_key = f"network:{cache.get(VERSION_KEY, 1)}:{key}"
    found = cache.get(full_key)
    if found is None:
        found = build()
        cache.set(full_key, found, timeout=settings.PUBLIC_CACHE_SECONDS)
    return found


def summary_document() -> tuple[bytes, str]:
    """The network's figures, as /api/v1/public/summary answers them and the pages read them."""
    from network.selectors import network_summary

    return cached_document("summary", network_summary)


def summary() -> dict:
    return json.loads(summary_document()[0])
