"""Who a failed login is counted against (django-axes): the e-mail address tried, and the client.

The client's address:

Directly on the internet it is REMOTE_ADDR. Behind reverse proxies (``TRUSTED_PROXY_COUNT`` of them,
each appending to X-Forwarded-For), it is the entry that many places from the right: addresses
further left were written by the client itself and are never trusted.
"""

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def attempted_email(request, credentials=None) -> str:
    """The e-mail address a login tried, as allauth passes it (``email``) or as the form posts it
    (``login``), compared case-insensitively; the same for an account that exists and one that
    does not."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or request.POST.get("login", "")
    return str(value).strip().lower()
