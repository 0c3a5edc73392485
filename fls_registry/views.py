from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView

from fls_registry.health import broker_state, database_state
from programmes.selectors import memberships_for_user


@never_cache
@require_GET
def healthz(request):
    """For load balancers and compose health checks: 503 when the database is unreachable.

    A broker outage is reported but does not fail the check: edits still save, and the KPI
    recompute catches up once the broker is back.
    """
    database = database_state()
    broker = broker_state()
    status = "ok" if database["ok"] and broker["ok"] else ("degraded" if database["ok"] else "down")
    return JsonResponse(
        {"status": status, "database": database, "broker": broker}, status=200 if database["ok"] else 503
    )


def home(request):
    from network.public_cache import summary

    if not request.user.is_authenticated:
        return render(request, "home_public.html", {"figures": summary()})
    from mentorship.selectors import pending_requests_for
    from recognition.selectors import open_reviews_of, staff_open_applications

    return render(
        request,
        "home.html",
        {
            "memberships": memberships_for_user(request.user),
            "reviews_to_do": open_reviews_of(request.user),
            "applications_open": staff_open_applications(request.user),
            "mentorship_waiting": pending_requests_for(request.user),
            "figures": summary(),
        },
    )


def server_error(request):
    """``handler500``: an unreachable database, wherever it was met (a view, a middleware saving the
    session), gets the 503 page; anything else Django's plain 500 page."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.views.defaults import server_error as default_server_error

    from fls_registry.middleware import database_unavailable

    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return database_unavailable(request)
    return default_server_error(request)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: a form whose token no longer matches (open too long, a log-in in another
    tab) gets the site's page in the reader's language, not Django's English one. The reason stays in
    the log (Django's ``django.security.csrf`` logger records it)."""
    return render(request, "403_csrf.html", {"cookies_enabled": bool(request.COOKIES)}, status=403)


def admin_login(request):
    """The admin site has no login form of its own: ``/admin/login/`` (GET or POST) sends to the one
    login, allauth's, whose second-factor stage every account with an authenticator passes. A POST
    here authenticates nobody. Then back to the admin page asked for."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    return redirect_to_login(target or "/admin/")


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico whatever the page says: the icon the pages name (its hashed
    name is looked up when asked, so the manifest of collected files is read at run time)."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")
