from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from accounts import ratelimit
from accounts.mfa import MFA_REQUIRED_MESSAGE, mfa_missing
from accounts.services import api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer fls_…`` (or ``Token fls_…``): a personal token from the profile page."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode() not in self.keywords:
            return None
        if ratelimit.blocked(request, "api_token"):
            raise exceptions.Throttled(
                wait=ratelimit.retry_after("api_token"), detail="Too many unknown tokens from this address."
            )
        if len(header) != 2:
            ratelimit.failed(request, "api_token")
            raise exceptions.AuthenticationFailed("Give the token after the word Bearer, with no spaces in it.")
        token = api_token_authenticate(header[1].decode(errors="replace"))
        if token is None:
            ratelimit.failed(request, "api_token")
            raise exceptions.AuthenticationFailed("Unknown, revoked, expired or mistyped API token.")
        if mfa_missing(token.user):
            raise exceptions.PermissionDenied(MFA_REQUIRED_MESSAGE)
        if token.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This API token is read-only: it may read (GET), not change anything.")
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Personal API token from the profile page."}
