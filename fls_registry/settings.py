"""Settings of the FLS registry: one module, every value from the environment.

``DJANGO_ENV=development`` (the default) runs on embedded defaults: embedded PostgreSQL when no
``DATABASE_URL`` is set, Celery tasks run eagerly when no ``CELERY_BROKER_URL`` is set, e-mail to
the console. ``DJANGO_ENV=production`` refuses to start with a default or short secret key, with
DEBUG on, without ``DJANGO_ALLOWED_HOSTS`` or without ``EMAIL_URL``. The README has the table.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from fls_registry.dbroles import socket_host_from_options

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

ENVIRONMENT = env.str("DJANGO_ENV", default="development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {ENVIRONMENT!r}.")
IS_PRODUCTION = ENVIRONMENT == "production"

DEVELOPMENT_SECRET_KEY = "development-only-key-never-use-in-production-fls-registry-0000000000"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Signs the cross-programme path for the database (programmes/rls.py); `migrate` stores it there, so
# run `migrate` after changing it (or DJANGO_SECRET_KEY, from which it is derived by default).
CROSS_PROGRAMME_KEY = (
    env.str("CROSS_PROGRAMME_KEY", default="")
    or hashlib.sha256(f"fls-cross-programme:{SECRET_KEY}".encode()).hexdigest()
)
DEBUG = env.bool("DJANGO_DEBUG", default=not IS_PRODUCTION)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

if IS_PRODUCTION:
    problems = []
    # The same rule as Django's deploy check (security.W009): long, varied, not a generated placeholder.
    if (
        SECRET_KEY == DEVELOPMENT_SECRET_KEY
        or len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or SECRET_KEY.startswith("django-insecure-")
    ):
        problems.append(
            "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters and 5 different ones "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    if DEBUG:
        problems.append("DJANGO_DEBUG must be false")
    if not ALLOWED_HOSTS:
        problems.append("DJANGO_ALLOWED_HOSTS must list the host names the site is served on")
    if not env.str("DATABASE_URL", default=""):
        problems.append("DATABASE_URL must point to the PostgreSQL database")
    if not env.str("EMAIL_URL", default=""):
        problems.append("EMAIL_URL must configure SMTP (e.g. smtp+tls://user:password@host:587)")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")

INSTALLED_APPS = [
    # First: its management commands (createsuperuser, audited) replace those of the apps below.
    "fls_registry.apps.FlsRegistryConfig",
    "fls_registry.apps.RegistryAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_countries",
    "csp",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "programmes",
    "patients",
    "casefinding",
    "kpis",
    "recognition",
    "mentorship",
    "network",
]

MIDDLEWARE = [
    "fls_registry.middleware.HealthCheckMiddleware",
    # Every request's id for the logs (fls_registry/logs.py), and its count and time (/metrics).
    "fls_registry.logs.RequestContextMiddleware",
    "fls_registry.metrics.RequestMetricsMiddleware",
    # Before anything can answer: the request's language, not the one the thread's last request left.
    "accounts.language.RequestLanguageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "fls_registry.middleware.NoStoreByDefaultMiddleware",
    "fls_registry.middleware.UploadLimitMiddleware",
    "programmes.inputs.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.sessions.SessionRefreshMiddleware",
    # The person's chosen language, else the switcher's cookie, else the browser's (accounts/language.py).
    "accounts.language.PersonLanguageMiddleware",
    # The reader's time zone for the times a page shows (accounts/clock.py).
    "accounts.clock.ReaderTimeZoneMiddleware",
    # A request that resolves a programme runs in one transaction scoped to it (row-level security).
    "programmes.rls.RowSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # IOF staff, reviewers, administrators and leads reach nothing but the set-up until they use 2FA.
    "accounts.mfa.RequireMfaMiddleware",
    # Last: turns a lock-out raised during authentication into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fls_registry.urls"
WSGI_APPLICATION = "fls_registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "programmes.context_processors.programme_navigation",
                "fls_registry.context_processors.site_address",
            ],
        },
    },
]

# --- Database: PostgreSQL only -----------------------------------------------------------------
# The application connects as a role under row-level security (DATABASE_URL); migrations, backups
# and restores run as the tables' owner (DATABASE_OWNER_URL). docs/security.md has the roles.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": socket_host_from_options(env.db("DATABASE_URL"))}
    _owner = socket_host_from_options(env.db("DATABASE_OWNER_URL", default=env.str("DATABASE_URL")))
else:
    if env.str("DATABASE_ADMIN_URL", default=""):
        # A server where we may create the roles ourselves (the tests' and CI's).
        from fls_registry.dbroles import prepare_from_url

        _app_url, _owner_url = prepare_from_url(
            env.str("DATABASE_ADMIN_URL"), env.str("DATABASE_NAME", default="fls_registry")
        )
    else:
        from fls_registry.embedded import embedded_database_urls

        _app_url, _owner_url = embedded_database_urls(env.str("DATABASE_NAME", default="fls_registry"))
    DATABASES = {"default": socket_host_from_options(env.db_url_config(_app_url))}
    _owner = socket_host_from_options(env.db_url_config(_owner_url))
DATABASE_OWNER = {key: _owner.get(key) for key in ("USER", "PASSWORD", "HOST", "PORT")}
DATABASE_APP_ROLE = DATABASES["default"].get("USER")
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when CACHE_URL is given, else in-process ---------------------------------------
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: Redis broker, JSON only; eager in-process when no broker is configured -------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None) or None
if CELERY_TASK_ALWAYS_EAGER:
    # Eager tasks still borrow a producer: give them an in-process transport, never a real broker
    # (with a host name, so that kombu has nothing to warn about on a command's output).
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "kpis.*": {"queue": "kpis"},
    "*.send_*": {"queue": "email"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task taken by a worker that then died (SIGKILL, power loss) goes back on the queue after
    # this many seconds; it must exceed the longest task's time limit (the nightly recompute's).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # Publishing from a web request gives up quickly when the broker is down (the KPI sweep
    # catches up later) instead of holding the coordinator's save for many seconds.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
}
CELERY_TIMEZONE = env.str("TIME_ZONE", default="UTC")
CELERY_TASK_PUBLISH_RETRY = False  # a broker outage must not hold up a request: the KPI sweep catches up
CELERY_BEAT_SCHEDULE = {
    "kpis-sweep-stale": {"task": "kpis.sweep_stale", "schedule": 60.0},
    "recognition-expiry-reminders": {
        "task": "recognition.send_expiry_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    # Training-day reminders, 7 days and 1 day before: each is claimed once, so hourly is safe.
    "mentorship-reminders": {"task": "mentorship.send_reminders", "schedule": 3600.0},
    # Nightly: case-finding candidates that never became episodes are deleted after their retention.
    "casefinding-purge-expired": {"task": "casefinding.purge_expired", "schedule": crontab(hour=2, minute=15)},
    "kpis-recompute-all": {
        "task": "kpis.recompute_all",
        # Hourly: each programme is recomputed in the hour after its own midnight (kpis/tasks.py).
        "schedule": crontab(minute=30),
    },
}

# --- Accounts ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a login from a client locked out for that address (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
# Failed logins slow down per client address (allauth); the lock-out itself is per e-mail address
# *and* client together (django-axes below), so nobody can lock a colleague out from elsewhere.
# Wrong passwords count per client address ("login_failed_password", accounts/adapters.py); wrong
# second-factor codes per address and per account ("login_failed", whose key is the account): 5
# wrong codes in 5 minutes stop the account's code entry, whatever the address.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed_password": "10/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Failed tries per client address allowed in a window (count, seconds): unknown invitation links,
# unknown API tokens (accounts.ratelimit). The public API has its own rate (PUBLIC_API_RATE).
FAILURE_LIMITS = {"invitation": (20, 600), "api_token": (30, 60), "join_request": (5, 3600)}
# Sessions end after this much inactivity (each request starts the period again).
SESSION_COOKIE_AGE = env.int("SESSION_INACTIVITY_SECONDS", default=30 * 60)
# ...written again at most once a minute, not on every request (accounts.sessions).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[FLS registry] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="FLS registry")
MFA_ADAPTER = "accounts.mfa.RequiredMfaAdapter"
# Accept the code of the 30-second period before and after too: ward computers' clocks drift.
MFA_TOTP_TOLERANCE = env.int("MFA_TOTP_TOLERANCE", default=1)
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)
# Places (seats and waiting places together) one candidate site may hold on one training day; 0: no
# limit (the default: the specification lets one site's requests queue on the waiting list).
MENTORSHIP_PLACES_PER_CANDIDATE = env.int("MENTORSHIP_PLACES_PER_CANDIDATE", default=0)
# Waiting places on one training day, whoever holds them.
MENTORSHIP_WAITING_PER_DAY = env.int("MENTORSHIP_WAITING_PER_DAY", default=100)
# How long a new personal API token lasts unless its owner chooses (1 to 365 days).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)

# --- E-mail --------------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
if env.str("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / ".data" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FLS registry <no-reply@fls-registry.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("it", _("Italian")),
    ("ru", _("Russian")),
    ("zh-hant", _("Traditional Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English pages print ISO 8601 dates (the registry is international: 03/04 means two different days);
# the other languages use their own formats.
FORMAT_MODULE_PATH = ["fls_registry.formats"]
LANGUAGE_COOKIE_NAME = "fls_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"
# Uploaded evidence (recognition): outside the web root and never served by a URL of its own; only
# the checked download view reads it.
PRIVATE_FILES_ROOT = Path(env.str("PRIVATE_FILES_ROOT", default=str(BASE_DIR / ".data" / "private")))

# --- Uploads -------------------------------------------------------------------------------------
# Every request body is bounded before it is read (fls_registry.middleware.UploadLimitMiddleware):
# the upload views by their own setting, anything else by UPLOAD_MAX_BYTES.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
PATIENTS_IMPORT_MAX_BYTES = env.int("PATIENTS_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# Larger CSV imports run on a Celery worker with a progress page (patients.import_jobs); smaller
# ones (about 5,000 episodes) while the coordinator waits.
PATIENTS_IMPORT_BACKGROUND_BYTES = env.int("PATIENTS_IMPORT_BACKGROUND_BYTES", default=1024 * 1024)
# Case finding (casefinding/): a feed pushed to the API or uploaded to the inbox, read while the
# sender waits; candidates that did not become episodes are deleted after the retention.
CASE_FINDING_MAX_BYTES = env.int("CASE_FINDING_MAX_BYTES", default=10 * 1024 * 1024)
CASE_FINDING_RETENTION_DAYS = env.int("CASE_FINDING_RETENTION_DAYS", default=180)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger files go to a temporary file, not memory
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # form fields and JSON bodies (the bulk API)

# --- Recognition ---------------------------------------------------------------------------------
RECOGNITION_VALID_YEARS = 3
RECOGNITION_REVIEW_DAYS = env.int("RECOGNITION_REVIEW_DAYS", default=28)
RECOGNITION_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
RECOGNITION_REMINDER_DAYS = (90, 30)

# --- The public face (network) -------------------------------------------------------------------
# Map tiles: a URL template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png and the attribution
# its provider requires. Empty: no tiles (an intranet); the map then draws the vendored country outlines.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
# How long the public figures and the map's GeoJSON are served from the cache (seconds).
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=120)
PUBLIC_API_RATE = env.str("PUBLIC_API_RATE", default="120/min")
NETWORK_RESOURCE_MAX_BYTES = env.int("NETWORK_RESOURCE_MAX_BYTES", default=20 * 1024 * 1024)

# --- Monitoring (fls_registry/metrics.py) ----------------------------------------------------------
# /metrics answers these client addresses, and a request carrying "Authorization: Bearer <token>".
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- REST API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "programmes.inputs.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "programmes.inputs.api_exception_handler",
    # Per client address, for the anonymous public endpoints (network.api); kept in the cache.
    "DEFAULT_THROTTLE_RATES": {"public": PUBLIC_API_RATE},
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FLS registry API",
    "DESCRIPTION": "Programme-scoped REST API of the Fracture Liaison Service registry.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The dataset has many yes/no columns: one named enum for them all.
    "ENUM_NAME_OVERRIDES": {"YesNoEnum": ["yes", "no"]},
}

# --- Security ------------------------------------------------------------------------------------
# Content-Security-Policy (django-csp): scripts only from our own static files (no inline script,
# no eval), nothing framed, forms post only here. Styles allow inline ones: Leaflet, htmx and the
# API docs set element styles. The map page adds its tile server's origin to img-src itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A form refused by the CSRF check: the site's page, in the reader's language, saying nothing was saved.
CSRF_FAILURE_VIEW = "fls_registry.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The preload directive only allows submitting the domain to browsers' list; nothing is sent anywhere.
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # One JSON object a line, with the request's id, user id and programme id (fls_registry/logs.py).
        "json": {"()": "fls_registry.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "pgserver": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Tasks run in-process without a broker: their routine "succeeded" lines would mix into
        # the output of commands (a command prints its result and its errors, nothing else).
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}
