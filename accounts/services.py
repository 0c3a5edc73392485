"""Writes of accounts: API tokens."""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken

TOKEN_PREFIX = "fls_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it and the full key, which is shown once and never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip()[:100] or "API", prefix=prefix, key_hash=_hash(secret))
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    if token.user_id != actor.pk:
        raise PermissionError("a token can only be revoked by its owner")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(key: str):
    """The user behind a full key, or None. Constant-time comparison of the hash."""
    if not key.startswith(TOKEN_PREFIX) or key.count("_") < 2:
        return None
    prefix, _sep, secret = key[len(TOKEN_PREFIX) :].partition("_")
    token = ApiToken.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)) or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
