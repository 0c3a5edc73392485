"""What operators watch: ``/metrics`` in Prometheus' text format, and the request metrics behind it.

- ``fls_http_requests_total{view,method,status}`` and ``fls_http_request_duration_seconds{view}``:
  every request, by URL name (never the path: it holds ids), counted by ``RequestMetricsMiddleware``.
  Several gunicorn processes share them through ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's
  multiprocess mode) when it is set.
- Read from PostgreSQL and the broker when scraped (``RegistryCollector``), so that every web
  process answers the same: ``fls_celery_queue_length{queue}``, ``fls_kpi_stale_programmes``,
  ``fls_kpi_recompute_failures_total``, ``fls_import_jobs{state}``,
  ``fls_case_finding_records_total``. Counts only: no patient, no programme name.

``/metrics`` answers the addresses of ``METRICS_ALLOWED_IPS`` (default: this host) and a request
with ``Authorization: Bearer <METRICS_TOKEN>`` (when a token is set); anyone else gets 403. It
answers before host validation and HTTPS redirects, as /healthz does: Prometheus scrapes by IP.
"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from accounts.lockout import client_ip

REQUESTS = Counter(
    "fls_http_requests", "Requests answered, by URL name, method and status", ["view", "method", "status"]
)
LATENCY = Histogram(
    "fls_http_request_duration_seconds",
    "Time to answer a request, by URL name",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
QUEUES = ("default", "kpis", "email")


class RequestMetricsMiddleware:
    """Counts and times every request by the name of the URL it resolved to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unmatched"
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        LATENCY.labels(view).observe(time.perf_counter() - started)
        return response


class RegistryCollector:
    """The registry's own series, read when scraped."""

    def collect(self):
        from casefinding.models import MonthlyCount
        from kpis.models import KpiState
        from kpis.services import stale_programme_ids
        from patients.models import ImportJob
        from programmes import rls

        queues = GaugeMetricFamily("fls_celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
        for queue, length in queue_lengths().items():
            queues.add_metric([queue], length)
        yield queues
        yield GaugeMetricFamily(
            "fls_kpi_stale_programmes", "Programmes whose figures predate their data", value=len(stale_programme_ids())
        )
        failures = KpiState.objects.aggregate(total=Sum("failures"))["total"] or 0
        yield CounterMetricFamily("fls_kpi_recompute_failures", "Failed KPI recomputes of a programme", value=failures)
        jobs = GaugeMetricFamily("fls_import_jobs", "CSV import jobs, by state", labels=["state"])
        with rls.all_programmes(rls.Reason.MONITORING):  # counts of every programme's jobs, no row
            by_state = dict(
                ImportJob.objects.all_programmes()
                .values_list("state")
                .annotate(n=Count("id"))
                .values_list("state", "n")
            )
        for state in ImportJob.State.values:
            jobs.add_metric([state], by_state.get(state, 0))
        yield jobs
        read = MonthlyCount.objects.filter(kind="read").aggregate(total=Sum("count"))["total"] or 0
        yield CounterMetricFamily("fls_case_finding_records", "Hospital records read by case finding", value=read)


def queue_lengths() -> dict[str, int]:
    """Each Celery queue's waiting tasks, from the Redis broker. Without a broker (tasks run in the
    request: the embedded set-up) nothing ever waits; an unreachable broker gives no figure."""
    url = settings.CELERY_BROKER_URL
    if not url or settings.CELERY_TASK_ALWAYS_EAGER or url.startswith("memory://"):
        return dict.fromkeys(QUEUES, 0)
    if not url.startswith(("redis://", "rediss://", "unix://", "redis+socket://")):
        return {}
    import redis

    client = redis.Redis.from_url(redis_py_url(url), socket_connect_timeout=2, socket_timeout=2)
    try:
        return {queue: int(client.llen(queue)) for queue in QUEUES}
    except redis.RedisError:
        return {}
    finally:
        client.close()


def redis_py_url(url: str) -> str:
    """A broker URL as redis-py reads it: kombu's ``redis+socket://`` (the embedded Redis) is ``unix://``."""
    return "unix://" + url.removeprefix("redis+socket://") if url.startswith("redis+socket://") else url


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and constant_time_compare(header[7:].strip(), token):
        return True
    return client_ip(request) in settings.METRICS_ALLOWED_IPS


def metrics(request) -> HttpResponse:
    if not allowed(request):
        return HttpResponse("metrics are served to the monitoring host only\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        requests_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests_registry)
    else:
        from prometheus_client import REGISTRY as requests_registry
    registry = CollectorRegistry()
    registry.register(RegistryCollector())
    body = generate_latest(requests_registry) + generate_latest(registry)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
