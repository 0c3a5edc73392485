import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from fls_registry.metrics import metrics
from fls_registry.views import healthz

# The headers every answer carries, /healthz included (it answers before the security middleware).
HEALTH_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


class HealthCheckMiddleware:
    """Answer /healthz (and /metrics, which checks its own callers) before host validation and
    HTTPS redirects.

    Load balancers and container health checks call it by IP or ``localhost``, over plain HTTP. It
    still carries the security headers the other answers get.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in ("/healthz", "/metrics"):
            response = healthz(request) if request.path_info == "/healthz" else metrics(request)
            for name, value in HEALTH_HEADERS.items():
                response.headers.setdefault(name, value)
            return response
        return self.get_response(request)


class NoStoreByDefaultMiddleware:
    """Nothing is kept by a browser's or a proxy's cache unless a view says it may.

    Patient pages, exports, PDFs and API answers hold identifiable data: an answer without its own
    Cache-Control gets ``no-store``. Views that serve public documents say so themselves (the public
    map's GeoJSON: ``public, max-age``); static files are answered by WhiteNoise before this runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


# Upload views and the setting that bounds each; any other request body is bounded by
# UPLOAD_MAX_BYTES. The multipart envelope around a file adds a little: MULTIPART_SLACK.
UPLOAD_LIMITS = {
    "patients:import": "PATIENTS_IMPORT_MAX_BYTES",
    "casefinding:inbox": "CASE_FINDING_MAX_BYTES",
    "api_case_finding": "CASE_FINDING_MAX_BYTES",
    "recognition:evidence_add": "RECOGNITION_EVIDENCE_MAX_BYTES",
    "network:resource_propose": "NETWORK_RESOURCE_MAX_BYTES",
    "network:staff_resource_create": "NETWORK_RESOURCE_MAX_BYTES",
    "network:staff_resource_edit": "NETWORK_RESOURCE_MAX_BYTES",
}
MULTIPART_SLACK = 64 * 1024


def upload_limit(request) -> int:
    """The largest file (or body) this request's view accepts, in bytes."""
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        view_name = ""
    setting = UPLOAD_LIMITS.get(view_name)
    return getattr(settings, setting) if setting else settings.UPLOAD_MAX_BYTES


class UploadLimitMiddleware:
    """Refuse a request body larger than its view allows, from its Content-Length, before any of it
    is read or parsed (a 50 MB CSV never reaches the importer): 413 with a message that says the
    size sent and the size allowed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.FILE_UPLOAD_MAX_MEMORY_SIZE:  # small bodies need no look
            limit = upload_limit(request)
            if length > limit + MULTIPART_SLACK:
                return too_large(request, length, limit)
        return self.get_response(request)


def too_large(request, length: int, limit: int):
    message = _("The upload is %(sent)s MB; at most %(limit)s MB are accepted here. Nothing was read or stored.") % {
        "sent": round(length / 1048576, 1),
        "limit": round(limit / 1048576, 1),
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413)
    return render(request, "400.html", {"message": message}, status=413)


def database_unavailable(request):
    """The 503 answer to a request that met an unreachable database (restarted, failing over, network
    cut); ``handler500`` gives it wherever the error was raised. Nothing is half-written (each request
    writes atomically), and the next request reconnects by itself (CONN_HEALTH_CHECKS)."""
    logging.getLogger("fls_registry").warning("database unreachable while answering %s", request.path)
    message = _("The registry's database cannot be reached just now. Nothing was saved. Try again in a minute.")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        # Rendered without a request context: the context processors would query the database.
        context = {"message": message, **kept_entries(request)}
        response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = "30"
    return response


# Never written back into a page: secrets, and the token the page gets afresh.
NOT_KEPT = frozenset({"csrfmiddlewaretoken", "password", "password1", "password2", "oldpassword", "code", "token"})


def kept_entries(request) -> dict:
    """What the person sent with a form whose save met an unreachable database: shown back, and put
    in a form that sends it again to the same address (with a new CSRF token: a cookie, no query), so
    that nothing they typed is lost. Files cannot be kept: the page says which to attach again."""
    if request.method != "POST":
        return {}
    try:
        data = request.POST
        files = list(request.FILES)
    except Exception:  # noqa: BLE001 - an unreadable body: nothing to keep
        return {}
    fields = [(name, value) for name in data for value in data.getlist(name) if name not in NOT_KEPT]
    if not fields and not files:
        return {}
    from django.middleware.csrf import get_token

    return {
        "kept_fields": fields,
        "kept_files": files,
        "resend_to": request.get_full_path(),
        "csrf_token": get_token(request),
    }
