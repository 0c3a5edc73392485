from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

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
    token, key = api_token_create(user=request.user, name=request.POST.get("name", ""))
    # Shown in this response only: the database keeps a hash.
    return _profile(request, new_token=token, new_key=key)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("profile")
