import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.internal import ratelimit

from accounts.lockout import client_ip


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """There is no open sign-up: people join by invitation (see programmes.services)."""

    def is_open_for_signup(self, request):
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A login of the last few minutes counts as the password asked again for the two-factor
        set-up: a new lead sent to the set-up right after logging in is not asked twice."""
        required = super().is_reauthentication_required(app=app, **kwargs)
        request = getattr(self, "request", None)
        if required and app == "allauth.mfa" and request is not None and request.user.is_authenticated:
            records = get_authentication_records(request, request.user)
            if records and time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT:
                return False
        return required

    def get_client_ip(self, request) -> str:
        """The one reading of the client's address (accounts/lockout.py, behind TRUSTED_PROXY_COUNT
        proxies), for allauth's rate limits as for django-axes."""
        return client_ip(request) or super().get_client_ip(request)

    def pre_authenticate(self, request, **credentials) -> None:
        """Failed passwords slow down per client address only (``login_failed_password``): the
        lock-out per e-mail address *and* client is django-axes', so nobody can stop a colleague's
        login from elsewhere. ``login_failed`` itself (per address, and 5 in 5 minutes per key) is
        left to the second-factor stage, whose key is the account (``mfa-auth-user-<id>``): code
        guessing stops after five wrong codes whatever the address."""
        self._login_failed_rl_usage = ratelimit.consume(request, app="allauth.account", action="login_failed_password")
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")
