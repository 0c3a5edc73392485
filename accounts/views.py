from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import clock
from accounts.language import record_pages_language
from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke


def _profile(request, **extra):
    from allauth.mfa.models import Authenticator

    return render(
        request,
        "accounts/profile.html",
        {
            "has_mfa": Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists(),
            "tokens": ApiToken.objects.filter(user=request.user),
            "time_zones": clock.offered_zones(),
            "token_days": settings.API_TOKEN_DAYS,
            **extra,
        },
    )


@login_required
def profile(request):
    """The user's own page: programmes and roles, security settings and personal API tokens.

    The programmes and roles come from ``user_memberships`` that ``programmes`` puts in every page's
    context (accounts sits below programmes and does not import it)."""
    return _profile(request)


@login_required
@require_POST
def token_create(request):
    days = request.POST.get("days", "").strip()
    try:
        token, key = api_token_create(
            user=request.user,
            name=request.POST.get("name", ""),
            days=int(days) if days.isdigit() else None,
            read_only=request.POST.get("read_only") == "on",
        )
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    # Shown in this response only: the database keeps a hash.
    return _profile(request, new_token=token, new_key=key)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("profile")


@login_required
@require_POST
def set_time_zone(request):
    """Where the person reads times: an IANA zone, or empty for their programme's."""
    name = request.POST.get("time_zone", "")
    try:
        clock.validate_zone(name)
    except ValidationError as exc:
        return HttpResponseBadRequest(_("Time zone: %(why)s") % {"why": " ".join(exc.messages)})
    if request.user.time_zone != name:
        request.user.time_zone = name
        request.user.save(update_fields=["time_zone"])
    messages.success(request, _("Time zone saved."))
    return redirect("profile")


@require_POST
def set_language(request):
    """The language switcher: a visitor's choice lives in a cookie; a signed-in person's on their
    profile too, so their e-mails follow it. An empty choice goes back to the browser's language."""
    code = request.POST.get("language", "")
    if code and code not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Language: %(code)s is not offered.") % {"code": code[:20]})
    next_url = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if code:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    if request.user.is_authenticated:
        if request.user.language != code:
            request.user.language = code
            request.user.save(update_fields=["language"])
        record_pages_language(request.user, code)
    return response
