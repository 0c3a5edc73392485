"""Structured logs for a log store: with ``LOG_FORMAT=json`` every line is one JSON object with the
time, level, logger, message, and the request's id, user id and programme id (never a name, an
e-mail address or patient data: the registry's log messages carry none, and only these ids are
added).

``RequestContextMiddleware`` gives each request an id (the proxy's ``X-Request-ID`` when it sends a
reasonable one, else a new one), answers it back in ``X-Request-ID``, and keeps the request where
the formatter finds it for the lines logged while it is answered.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

_request = contextvars.ContextVar("fls_log_request", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response.headers["X-Request-ID"] = request.request_id
        return response


def request_context() -> dict:
    """The ids of the request being answered (nothing outside a request)."""
    request = _request.get()
    if request is None:
        return {}
    context = {"request_id": getattr(request, "request_id", None)}
    user = getattr(request, "_cached_user", None)  # only when authentication already ran: no query here
    if user is not None and getattr(user, "is_authenticated", False):
        context["user_id"] = user.pk
    access = getattr(request, "programme_access", None)
    if access is not None:
        context["programme_id"] = access.programme.pk
    return context


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **request_context(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
