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
    """Answer /healthz before host validation and HTTPS redirects.

    Load balancers and container health checks call it by IP or ``localhost``, over plain HTTP. It
    still carries the security headers the other answers get.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            response = healthz(request)
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
