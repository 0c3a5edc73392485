"""Failed tries counted per client address in fixed windows (in the shared cache), for what a
guesser would hammer: invitation links and API tokens. Logins have their own guard (django-axes).

``blocked`` only looks; ``failed`` counts one failure. A client over the limit is refused before its
try is even looked at, so guessing stops paying for the rest of the window.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from accounts.lockout import client_ip


def _key(request, scope: str) -> tuple[str, int, int]:
    limit, window = settings.FAILURE_LIMITS[scope]
    bucket = int(time.time() // window)
    return f"failures:{scope}:{client_ip(request)}:{bucket}", limit, window


def blocked(request, scope: str) -> bool:
    key, limit, _window = _key(request, scope)
    return (cache.get(key) or 0) >= limit


def failed(request, scope: str) -> None:
    key, _limit, window = _key(request, scope)
    if not cache.add(key, 1, timeout=window * 2):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window * 2)


def retry_after(scope: str) -> int:
    _limit, window = settings.FAILURE_LIMITS[scope]
    return window - int(time.time()) % window
