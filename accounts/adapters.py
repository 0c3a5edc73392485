import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records


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
