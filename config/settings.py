"""Sen CRM settings: everything comes from the environment (see README.md, "Configuration").

No setting is needed to start: SQLite and the task queue live in DATA_DIR (default ./var) and a
secret key is generated there on first start.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# HTTPS decides the cookie and HSTS settings; it is on unless DEBUG is on or it is switched off
# (the demo serves plain http on 127.0.0.1 and sets HTTPS=false).
HTTPS = env_bool("HTTPS", not DEBUG)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    # A generated key, kept in DATA_DIR so that sessions survive restarts; never committed.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "sencrm.core",
    "sencrm.users",
    "sencrm.events",
    "sencrm.customfields",
    "sencrm.savedviews",
    "sencrm.imports",
    "sencrm.customers",
    "sencrm.activities",
    "sencrm.sales",
    "sencrm.home",
    "sencrm.catalog",
    "sencrm.commerce",
    "sencrm.billing",
    "sencrm.marketing",
    "sencrm.promotions",
    "sencrm.privacy",
    "sencrm.support",
    "sencrm.fieldservice",
    "sencrm.reports",
    "sencrm.documents",
    "sencrm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sencrm.users.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes last: it answers locked-out logins before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sencrm.core.context_processors.shell",
            ],
        },
    },
]

# Database: SQLite in DATA_DIR unless DATABASE_URL names another (PostgreSQL in production).
_db_url = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'sencrm.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL + busy timeout + immediate write transactions: a handful of users and a worker never
    # see "database is locked" (see docs/decisions.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins, per user name and per IP address (django-axes).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Language, time, formats: Vietnamese and Asia/Ho_Chi_Minh by default; users choose their own.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGE_COOKIE_NAME = "sen_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static", BASE_DIR / "static_build"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

# Security headers and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12) * 3600
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; see base.html
CSRF_FAILURE_VIEW = "sencrm.core.views.csrf_failure"
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Background jobs: SqliteHuey in DATA_DIR, or RedisHuey when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "sencrm", "url": REDIS_URL, "immediate": False}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "sencrm",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Telephony (sencrm/support/telephony.py): the adapters' shared secrets; empty = that adapter is off (404).
# Stringee signs its event_url calls with the project's signing secret; an Asterisk AMI forwarder sends
# TELEPHONY_ASTERISK_TOKEN in the X-Telephony-Token header. A call whose extension is nobody's goes to
# TELEPHONY_DEFAULT_USER (a user name), else to the first administrator.
TELEPHONY_STRINGEE_SECRET = env_str("TELEPHONY_STRINGEE_SECRET", "") or ""
TELEPHONY_ASTERISK_TOKEN = env_str("TELEPHONY_ASTERISK_TOKEN", "") or ""
TELEPHONY_DEFAULT_USER = env_str("TELEPHONY_DEFAULT_USER", "") or ""
# The live screen pop's server-sent events (served by the ASGI application, config/asgi.py): a comment line
# every LIVE_HEARTBEAT_SECONDS keeps proxies from closing the connection and finds browsers that left; the
# stream ends after LIVE_STREAM_SECONDS and the browser reconnects by itself.
ASGI_APPLICATION = "config.asgi.application"
LIVE_HEARTBEAT_SECONDS = env_int("LIVE_HEARTBEAT_SECONDS", 20)
LIVE_STREAM_SECONDS = env_int("LIVE_STREAM_SECONDS", 1800)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sencrm.users.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "sencrm.core.api.pagination.RecordCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "sencrm.core.api.schema.ApiAutoSchema",
    # JSON; CSV for lists on request (?format=csv or Accept: text/csv), see sencrm/core/api/csv_format.py.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "sencrm.core.api.csv_format.CsvRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "sencrm.core.api.negotiation.ApiContentNegotiation",
    "DEFAULT_THROTTLE_CLASSES": ["sencrm.core.api.throttling.ApiRateThrottle"],
    "EXCEPTION_HANDLER": "sencrm.core.api.errors.handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# API requests per token (Bearer), per user (browser session) or per IP address (anonymous), counted in
# the cache (Redis with REDIS_URL); e.g. "120/min", "5000/hour"; "off" for no limit.
API_RATE_LIMIT = env_rate("API_RATE_LIMIT", "120/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Sen CRM API",
    "DESCRIPTION": "REST API of Sen CRM: the same records and the same access rules as the web interface. "
    "Authenticate with a personal API token (`Authorization: Bearer sen_…`) or the browser session (with "
    "the CSRF token for writes). Lists come in cursor pages (`page_size` 1–500) or, with `?format=csv`, "
    "as one CSV file. Errors are JSON `{code, message, errors}`; too many requests answer 429 with "
    "`Retry-After`. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs need a signed-in user or a token, like the rest of the API.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # /api/v1/docs/: Swagger UI served from this server (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI renders long lists lazily (only what is on screen): "filter" gives a box to find a module.
    "SWAGGER_UI_SETTINGS": {
        "validatorUrl": None,
        "deepLinking": True,
        "tryItOutEnabled": False,
        "filter": True,
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "sencrm.sales.choices.LeadStatus",
        "OpportunityStatusEnum": "sencrm.sales.choices.OpportunityStatus",
        "PaymentMethodEnum": "sencrm.billing.models.PaymentMethod",
        "ConversationStatusEnum": "sencrm.marketing.models.ConversationStatus",
        "CampaignChannelEnum": "sencrm.marketing.models.CampaignChannel",
        "ConsentChannelEnum": "sencrm.customers.choices.ConsentChannel",
        "DataRequestKindEnum": "sencrm.privacy.models.RequestKind",
        "TicketStatusEnum": "sencrm.support.models.TicketStatus",
        "CallDirectionEnum": "sencrm.support.models.CallDirection",
        "WarrantyRuleEnum": "sencrm.fieldservice.models.WarrantyRule",
        "WorkOrderStatusEnum": "sencrm.fieldservice.models.WorkStatus",
        "AssetStatusEnum": "sencrm.fieldservice.models.AssetStatus",
    },
}

# Soft-deleted records are purged from the trash after this many days.
TRASH_RETENTION_DAYS = env_int("TRASH_RETENTION_DAYS", 30)
# Public web-to-lead forms: at most this many submissions per IP address in the window.
WEBFORM_RATE_LIMIT = env_int("WEBFORM_RATE_LIMIT", 5)
WEBFORM_RATE_WINDOW_MINUTES = env_int("WEBFORM_RATE_WINDOW_MINUTES", 10)
# Customer care: days a resolved ticket may be reopened, and days a customer's signed link lasts.
SUPPORT_REOPEN_DAYS = env_int("SUPPORT_REOPEN_DAYS", 7)
SUPPORT_LINK_DAYS = env_int("SUPPORT_LINK_DAYS", 90)
# After-sales (sencrm/fieldservice): minutes of travel booked between two jobs at different sites (in the
# same province / in another province), the largest photo accepted, and how many days before a warranty
# ends `asset.warranty_expiring` is emitted.
FIELDSERVICE_TRAVEL_MINUTES = env_int("FIELDSERVICE_TRAVEL_MINUTES", 30)
FIELDSERVICE_TRAVEL_MINUTES_OTHER_PROVINCE = env_int("FIELDSERVICE_TRAVEL_MINUTES_OTHER_PROVINCE", 120)
FIELDSERVICE_PHOTO_MAX_MB = env_int("FIELDSERVICE_PHOTO_MAX_MB", 10)
FIELDSERVICE_WARRANTY_NOTICE_DAYS = env_int("FIELDSERVICE_WARRANTY_NOTICE_DAYS", 30)
# Imports: the largest file accepted, and the largest an XLSX may unpack to (zip bombs).
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 100)
IMPORT_MAX_XLSX_UNCOMPRESSED_MB = env_int("IMPORT_MAX_XLSX_UNCOMPRESSED_MB", 4096)
# The key that encrypts secrets stored in the database (platform webhook secrets): a Fernet key
# (`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`);
# empty: derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "") or ""
# Attribution's lead view puts a customer's revenue in the month of their first touch ("first_touch",
# falling back to the record's creation when no touch is known) or of their creation ("created").
ATTRIBUTION_LEAD_MONTH = env_str("ATTRIBUTION_LEAD_MONTH", "first_touch") or "first_touch"
if ATTRIBUTION_LEAD_MONTH not in {"first_touch", "created"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"ATTRIBUTION_LEAD_MONTH must be first_touch or created, not {ATTRIBUTION_LEAD_MONTH!r}"
    )

# PostgreSQL memory for one heavy read (a segment's count over every contact, a report), set for that
# transaction only (core.db.analytic_query): enough to hash a million-row set instead of spilling.
ANALYTIC_WORK_MEM = env_str("ANALYTIC_WORK_MEM", "64MB") or "64MB"


def _vat_reduction() -> dict[str, object] | None:
    """Vietnam's temporary VAT reduction: products marked reducible pay `to_rate` instead of `from_rate`
    on documents dated from `start` to `end` (both included). Decree 174/2025/NĐ-CP: 10 % → 8 % from
    01/07/2025 to 31/12/2026. Env: VAT_REDUCTION="2025-07-01,2026-12-31,10,8", or "off"."""
    from datetime import date

    from django.core.exceptions import ImproperlyConfigured

    value = (env_str("VAT_REDUCTION") or "2025-07-01,2026-12-31,10,8").strip()
    if value.lower() in {"off", "none", "0"}:
        return None
    parts = [part.strip() for part in value.split(",")]
    try:
        start, end, from_rate, to_rate = parts
        reduction = {"start": date.fromisoformat(start), "end": date.fromisoformat(end)}
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"VAT_REDUCTION must look like 2025-07-01,2026-12-31,10,8 or off, not {value!r}"
        ) from exc
    if reduction["start"] > reduction["end"] or not {from_rate, to_rate} <= {"0", "5", "8", "10"}:
        raise ImproperlyConfigured(
            f"VAT_REDUCTION: start after end, or a rate other than 0, 5, 8, 10: {value!r}"
        )
    return {**reduction, "from_rate": from_rate, "to_rate": to_rate}


VAT_REDUCTION = _vat_reduction()

# Outgoing webhooks: targets must be public addresses, except the hosts listed here (comma-separated
# host names or IP addresses, e.g. an ERP on the company's own network).
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", [])
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 5)  # seconds
WEBHOOK_READ_TIMEOUT = env_int("WEBHOOK_READ_TIMEOUT", 10)  # seconds
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
# A sender's claim on a delivery; longer than one attempt can last (connect + 2 × read timeout).
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 120)
WEBHOOK_LOG_RETENTION_DAYS = env_int("WEBHOOK_LOG_RETENTION_DAYS", 30)

EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    from urllib.parse import unquote, urlsplit

    _email = urlsplit(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme == "submission"
    EMAIL_USE_SSL = _email.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Sen CRM <crm@localhost>")
# The address people reach the CRM at from outside (links in emails: unsubscribe, tracking, redirects).
PUBLIC_URL = env_str("PUBLIC_URL", "http://localhost:8000") or "http://localhost:8000"
# Email campaigns: messages per second per sender (0: as fast as the server takes them), and how long a
# sender's claim on a batch lasts before another run may take it over (a sender killed mid-batch).
EMAIL_CAMPAIGN_RATE = env_int("EMAIL_CAMPAIGN_RATE", 20)
EMAIL_CAMPAIGN_LEASE_SECONDS = env_int("EMAIL_CAMPAIGN_LEASE_SECONDS", 300)
# Senders started for one campaign (each an SMTP connection and a worker task).
EMAIL_CAMPAIGN_SENDERS = env_int("EMAIL_CAMPAIGN_SENDERS", 2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_4xx": {"()": "sencrm.core.logging.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # The Huey consumer installs its own handler on "huey": do not print its lines twice.
        "huey": {"propagate": False},
        # Expected 403/404 answers: one line each, no traceback.
        "django.request": {"filters": ["one_line_4xx"]},
        "django.security": {"filters": ["one_line_4xx"]},
    },
}
