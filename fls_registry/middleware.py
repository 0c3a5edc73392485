from fls_registry.views import healthz


class HealthCheckMiddleware:
    """Answer /healthz before host validation and HTTPS redirects.

    Load balancers and container health checks call it by IP or ``localhost``, over plain HTTP.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)
