"""What every page may need beyond the programme's navigation (programmes.context_processors)."""

import logging
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)
_warned: set[str] = set()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def site_address(request) -> dict:
    """The demo (``DEBUG``) warns when it is served at an address other than ``SITE_URL``: links in
    e-mails, invitations and certificates are built from ``SITE_URL`` and would lead elsewhere."""
    if not settings.DEBUG:
        return {}
    try:
        served = _origin(request.build_absolute_uri("/"))
    except Exception:  # noqa: BLE001 - a host Django refuses is answered elsewhere
        return {}
    configured = _origin(settings.SITE_URL)
    if served == configured:
        return {}
    if served not in _warned:
        _warned.add(served)
        logger.warning(
            "Served at %s but SITE_URL is %s: links in e-mails and certificates lead there", served, configured
        )
    return {"site_address_mismatch": {"served": served, "configured": configured}}
