"""Maps in the pages (the public map, the join form's place pick): the tile server the page names,
and the Content-Security-Policy that lets the browser load its tiles."""

from urllib.parse import urlsplit

from django.conf import settings


def tile_origins(url_template: str) -> list[str]:
    """The origin a tile URL template loads from, as a CSP source ({s} subdomains as *)."""
    parts = urlsplit(url_template.replace("{s}", "*"))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def tile_context() -> dict:
    """What a page with a map passes to its template (``data-tile-url``, the attribution)."""
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


def with_tiles(response):
    """The response, its CSP widened to the tile server (django-csp reads ``_csp_update``)."""
    response._csp_update = {"img-src": tile_origins(settings.MAP_TILE_URL)}
    return response
