"""Two-factor authentication: required for the people who can see or decide across programmes.

Who must have an authenticator app (TOTP, with recovery codes that allauth creates with it):

- IOF staff, IOF reviewers and system administrators (flags on the user, known here);
- programme leads, and whoever else an app above registers with ``require_mfa_when`` (the
  programmes app registers the lead role: accounts sits below programmes and does not import it).

Until such a person has set it up, every page but the set-up pages (and log-out) sends them to the
set-up page, and the API refuses their session or token with a 403 that says why. They cannot
switch it off while the role lasts (``RequiredMfaAdapter``). Everyone else is offered it on their
profile page.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

MFA_REQUIRED_MESSAGE = _(
    "Your role (IOF staff, reviewer, administrator or programme lead) needs two-factor authentication. "
    "Set up an authenticator app to continue; keep the recovery codes you are shown somewhere safe."
)

_requirements: list[Callable] = []


def require_mfa_when(predicate: Callable, *, depends_on: type) -> None:
    """Register ``predicate(user) -> bool``: a further reason a person must use two-factor
    authentication, read from rows of ``depends_on`` (which have a ``user_id``)."""
    if predicate not in _requirements:
        _requirements.append(predicate)
    forget_on_change(depends_on)


def mfa_required(user) -> bool:
    """Asked of the rules registered from above: the authority resolver's ``needs_two_factors``
    (programmes.authority.TWO_FACTOR_ROLES: IOF staff, reviewers, superusers, programme leads)."""
    if not user.is_authenticated:
        return False
    return any(predicate(user) for predicate in _requirements)


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


# Every page asks; the answer is kept in the cache for a minute and dropped whenever a membership,
# an authenticator or the person's global roles change (signals below), so a coordinator made lead
# is still sent to the set-up at their next page. Two queries fewer per page.
MFA_STATE_SECONDS = 60


def _state_key(user_id) -> str:
    return f"accounts:mfa-missing:{user_id}"


def forget_mfa_state(user_id) -> None:
    cache.delete(_state_key(user_id))


def forget_on_change(model: type, user_id_of: Callable = lambda instance: instance.user_id) -> None:
    """Drop the cached answer of the person a saved or deleted ``model`` row concerns."""

    def forget(sender, instance, **kwargs):
        forget_mfa_state(user_id_of(instance))

    uid = f"mfa-state-{model._meta.label}"
    # weak=False: the receiver is a closure that nothing else keeps alive.
    post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"{uid}-save")
    post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"{uid}-delete")


def totp_code(secret: str, offset: int = 0) -> str:
    """The code an authenticator app holding ``secret`` shows now (``offset`` periods away)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD + offset))


def _state(user) -> str:
    """``SET_UP`` when the person must use two-factor authentication and has not set it up, ``USE``
    when they have an authenticator (so every session of theirs must have used it), else ``""``."""
    key = _state_key(user.pk)
    state = cache.get(key)
    if state is None:
        state = USE if has_totp(user) else (SET_UP if mfa_required(user) else "")
        cache.set(key, state, MFA_STATE_SECONDS)
    return state


SET_UP = "set-up"
USE = "use"


def mfa_missing(user) -> bool:
    """True when the person must use two-factor authentication and has not set it up."""
    return user.is_authenticated and _state(user) == SET_UP


def session_used_mfa(request, user) -> bool:
    """True when this session passed the second factor: allauth's record of the session's
    authentication steps holds an ``mfa`` step of this person, or the person set up their
    authenticator app after this session's sign-in (the set-up asks for a code from it; the step is
    then recorded, so this is asked once)."""
    records = get_authentication_records(request, user)
    if any(record.get("method") == "mfa" for record in records):
        return True
    signed_in = [record["at"] for record in records if isinstance(record.get("at"), int | float)]
    if not signed_in:
        return False
    since = datetime.fromtimestamp(min(signed_in), tz=UTC)
    set_up = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP, created_at__gte=since).first()
    if set_up is None:
        return False
    record_authentication(request, user, "mfa", id=set_up.pk, type=set_up.type, set_up=True)
    return True


# Paths reachable before the set-up: the set-up itself (allauth asks for the password again when the
# login is older than a few minutes), logging out, the language switcher, static files and the health check.
ALLOWED_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/accounts/language/",
    "/static/",
    "/healthz",
)

MFA_NOT_USED_MESSAGE = _(
    "This sign-in did not pass two-factor authentication. Sign in again with your password and the code "
    "from your authenticator app."
)


class RequireMfaMiddleware:
    """The one check of two factors on every request of a signed-in person:

    - a person whose role needs two-factor authentication reaches only its set-up page until it is
      done;
    - a person who has an authenticator must have used it in *this* session. A session signed in any
      other way (there is no other way in: ``/admin/login/`` sends to the same login) is ended and
      sent to the login page; the API answers 403.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(("/static/", "/healthz")):
            return self.get_response(request)
        state = _state(user)
        if state == USE and not session_used_mfa(request, user):
            return self._sign_in_again(request)
        if state != SET_UP or request.path.startswith(ALLOWED_PREFIXES):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(MFA_REQUIRED_MESSAGE), "code": "mfa_required"}, status=403)
        if request.method == "GET":
            messages.warning(request, MFA_REQUIRED_MESSAGE)
        return redirect("mfa_activate_totp")

    @staticmethod
    def _sign_in_again(request):
        logout(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(MFA_NOT_USED_MESSAGE), "code": "mfa_not_used"}, status=403)
        messages.warning(request, MFA_NOT_USED_MESSAGE)
        return redirect_to_login(request.get_full_path() if request.method == "GET" else "/")


class RequiredMfaAdapter(DefaultMFAAdapter):
    """The authenticator app cannot be removed while the person's role requires it."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Your role requires two-factor authentication, so it stays on. To move to a new phone, ask a "
            "system administrator to remove your authenticator: you set up the new one at your next login."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.TOTP and mfa_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
