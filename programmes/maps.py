"""Maps in the pages (the public map, the join form's place pick): the tile server's origin."""

from urllib.parse import urlsplit


def tile_origins(url_template: str) -> list[str]:
    """The origin a tile URL template loads from, as a CSP source ({s} subdomains as *)."""
    parts = urlsplit(url_template.replace("{s}", "*"))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []
