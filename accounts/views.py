from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from programmes.selectors import memberships_for_user


@login_required
def profile(request):
    """The user's own page: programmes and roles, and the way to e-mail, password and MFA settings."""
    from allauth.mfa.models import Authenticator

    return render(
        request,
        "accounts/profile.html",
        {
            "memberships": memberships_for_user(request.user),
            "has_mfa": Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists(),
        },
    )
