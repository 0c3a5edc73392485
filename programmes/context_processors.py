from programmes.selectors import memberships_for_user


def programme_navigation(request):
    """The programme switcher and the role-dependent navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = getattr(request, "programme_access", None)
    return {
        "user_memberships": memberships_for_user(user),
        "current_programme": access.programme if access else None,
        "current_role": access.role if access else None,
    }
