from programmes.authority import authority_for
from programmes.selectors import memberships_for_user


def programme_navigation(request):
    """The programme switcher and the navigation, from what the user may do (programmes.authority)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = getattr(request, "programme_access", None)
    return {
        "user_memberships": memberships_for_user(user),
        "current_programme": access.programme if access else None,
        "current_role": access.role if access else None,
        "may": access.authority.flags if access else {},
        "may_globally": authority_for(user).flags,
    }
