"""Sessions end after ``SESSION_COOKIE_AGE`` seconds without a request (``SESSION_INACTIVITY_SECONDS``).

Writing the session on every request (Django's ``SESSION_SAVE_EVERY_REQUEST``) costs a database
transaction per page, a quarter of a light page's time. Instead, a signed-in person's session is
written again (with a new expiry) once ``SESSION_REFRESH_SECONDS`` have passed since it was last
written: the inactivity limit then holds to within that many seconds.
"""

import time

from django.conf import settings

REFRESHED_KEY = "_refreshed"


class SessionRefreshMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None or session.modified or not user.is_authenticated:
            return response
        now = int(time.time())
        if now - session.get(REFRESHED_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[REFRESHED_KEY] = now  # modified: the session middleware saves it, with a new expiry
        return response
