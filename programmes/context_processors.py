from programmes.authority import authority_for
from programmes.selectors import memberships_for_user

# The programme's pages come in five groups; the group of the page shown is marked in the menu and
# its pages are listed under it. Views are known by their URL namespace (and name, for programmes).
_SECTION_OF_NAMESPACE = {
    "patients": "patients",
    "casefinding": "patients",
    "kpis": "kpis",
    "recognition": "recognition",
    "mentorship": "mentorship",
}


def nav_section(request) -> str:
    """Which group of the programme's pages ``request`` shows ('' for a page of the network)."""
    match = getattr(request, "resolver_match", None)
    if match is None or "programme_slug" not in match.kwargs:
        return ""
    if match.view_name == "programmes:home":
        return "overview"
    return _SECTION_OF_NAMESPACE.get(match.namespace, "team")


def programme_navigation(request):
    """The programme switcher and the navigation, from what the user may do (programmes.authority)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = getattr(request, "programme_access", None)
    return {
        "nav_section": nav_section(request),
        "user_memberships": access.memberships if access else memberships_for_user(user),
        "current_programme": access.programme if access else None,
        "current_role": access.role if access else None,
        "may": access.authority.flags if access else {},
        "may_globally": authority_for(user).flags,
    }
