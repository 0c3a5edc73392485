"""Writes of accounts: API tokens."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken

TOKEN_PREFIX = "fls_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


MAX_TOKEN_DAYS = 365


@transaction.atomic
def api_token_create(*, user, name: str, days: int | None = None, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid ``days`` (default ``API_TOKEN_DAYS``, 90; at most a year),
    read-only or not; returns it and the full key, which is shown once and never stored."""
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(
            {"days": _("A token lasts from 1 to %(max)s days, not %(days)s.") % {"max": MAX_TOKEN_DAYS, "days": days}}
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API",
        prefix=prefix,
        key_hash=_hash(secret),
        expires_at=timezone.now() + timedelta(days=days),
        read_only=read_only,
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def api_tokens_revoke_all(user) -> int:
    """Every live token of ``user`` ends now (their account is deactivated): reactivating the account
    does not bring them back."""
    return ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    if token.user_id != actor.pk:
        raise PermissionError("a token can only be revoked by its owner")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(key: str) -> ApiToken | None:
    """The live token behind a full key (not revoked, not expired, its owner active), or None.
    Constant-time comparison of the hash."""
    if not key.startswith(TOKEN_PREFIX) or key.count("_") < 2:
        return None
    prefix, _sep, secret = key[len(TOKEN_PREFIX) :].partition("_")
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)) or not token.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
