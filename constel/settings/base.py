"""Settings shared by every environment, read from the environment (django-environ).

PostgreSQL only (row-level security, partitions, the SQL evaluation): with no environment
the project reads the demo's database (``make demo``: 127.0.0.1:5390, as ``constel_app``)
and Celery runs tasks in-process; ``REDIS_URL=redis://…`` switches to a real broker.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "axes",
    "simple_history",
    "csp",
    "constel",
    "patients",
    "pathways",
    "telemonitoring",
    "letters",
    "engagement",
    "evaluation",
    "billing",
    "portal",
    "fhir_r4",
    "demo",
]

MIDDLEWARE = [
    "constel.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "constel.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # after authentication and the tenant (it reads who is signed in), before the views
    "constel.middleware.InputGuardMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "constel.middleware.TenantMiddleware",
    "constel.middleware.StaffSecurityMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "constel.urls"
WSGI_APPLICATION = "constel.wsgi.application"
AUTH_USER_MODEL = "constel.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "constel.context_processors.tenancy",
                "telemonitoring.context_processors.alert_badge",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# The application connects as a role that does not own the tables and cannot bypass RLS;
# migrations run with DATABASE_URL pointing at the owner (see README, docker-compose.yml).
DATABASES = {
    "default": env.db("DATABASE_URL",
                      default="postgres://constel_app@127.0.0.1:5390/constel_demo"),
}
# Persistent connections (a worker keeps its PostgreSQL session for a minute): a new backend
# per request costs its start and cold catalogue caches on every table the request touches
# (bench/README.md, ingestion). The RLS settings are set and reset per request on it
# (constel.tenancy); a broken connection is replaced (health checks).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="constel_app")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "Europe/Paris"
# One queue per kind of work, so a slow kind never delays an alert (docs/scaling.md):
# evaluation (latency-critical), letters (PDF + SMTP), billing (rare, long), and the default
# queue "celery" for reminders, reports and reconciliation. A single worker for everything
# listens to all four: -Q celery,evaluation,letters,billing.
CELERY_TASK_ROUTES = {
    "pathways.evaluate_readings": {"queue": "evaluation"},
    "pathways.sweep_tenant": {"queue": "evaluation"},
    "pathways.send_letter": {"queue": "letters"},
    "billing.compile_claims": {"queue": "billing"},
}
CELERY_ALL_QUEUES = "celery,evaluation,letters,billing"
CELERY_BEAT_SCHEDULE: dict = {
    # Chase GP validations of issued PPS at 7 and 14 days (idempotent, so hourly is safe).
    "remind-gps": {"task": "pathways.remind_gps", "schedule": 3600.0},
    # Missing-data alerts, readings a lost message left unevaluated, critical escalation.
    "telefollow-up-sweep": {"task": "pathways.sweep", "schedule": 300.0},
    # Letters left "sending" by an interrupted worker: flagged for a person to check.
    "reconcile-letters": {"task": "pathways.reconcile_letters", "schedule": 600.0},
    # The GPs' periodic follow-up reports (one per patient and period; daily is safe).
    "periodic-reports": {"task": "pathways.periodic_reports",
                         "schedule": crontab(hour=6, minute=0)},
    # Appointment reminders by SMS, the evening before.
    "remind-appointments": {"task": "pathways.remind_appointments",
                            "schedule": crontab(hour=17, minute=30)},
    # The day after a claim period ends, its statement is compiled (draft, for finance).
    "compile-ended-claim-periods": {"task": "billing.compile_ended_periods",
                                    "schedule": crontab(hour=2, minute=0)},
    # The readings' monthly partitions, READING_PARTITIONS_AHEAD months ahead (PostgreSQL).
    "reading-partitions": {"task": "pathways.reading_partitions",
                           "schedule": crontab(hour=1, minute=30)},
}
#: Months of readings' partitions kept created ahead of the current one (telemonitoring.partitions).
READING_PARTITIONS_AHEAD = env.int("READING_PARTITIONS_AHEAD", default=3)

# --- Auth, allauth, MFA, lockout ----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Argon2id first (constel/hashers.py: OWASP's parameters, ~50 ms a login instead of 0.6 s);
# the PBKDF2 hashes made before still verify and are upgraded at the next login.
PASSWORD_HASHERS = [
    "constel.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "constel.accounts.AccountAdapter"
# Letters leave through the tenant's own SMTP server when it has one (MSSanté is SMTP-based):
# CONSTEL_TENANT_SMTP='{"constel-action": "smtp+tls://user:password@smtp.mssante.example:587"}'
# (secrets stay in the environment, never in the database); otherwise EMAIL_BACKEND.
TENANT_SMTP: dict = env.json("CONSTEL_TENANT_SMTP", default={})

# OpenID Connect (Pro Santé Connect is OIDC), enabled by settings and per tenant
# (Tenant.oidc_login): an existing account only, matched by its verified e-mail.
SOCIALACCOUNT_ADAPTER = "constel.accounts.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_PROVIDERS: dict = {}
if env("CONSTEL_OIDC_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [{
            "provider_id": env("CONSTEL_OIDC_ID", default="psc"),
            "name": env("CONSTEL_OIDC_NAME", default="Pro Santé Connect"),
            "client_id": env("CONSTEL_OIDC_CLIENT_ID"),
            "secret": env("CONSTEL_OIDC_SECRET", default=""),
            "settings": {"server_url": env("CONSTEL_OIDC_SERVER_URL"),
                         "fetch_userinfo": True},
        }],
    }
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Failed logins: 5 per account (the "key": the e-mail typed) in 10 minutes; per address a
# much higher threshold, against credential stuffing — a clinic's users share one NAT
# address, so a low per-address limit would lock a whole clinic out.
ACCOUNT_RATE_LIMITS = {"login_failed": "60/10m/ip,5/10m/key"}
#: Reverse proxies in front of the application (production: the TLS proxy, 1). The client's
#: address is read from X-Forwarded-For accordingly (constel.middleware.ClientAddressMiddleware)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_SESSION_REMEMBER = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "Constel"
# "Last seen" kept by constel.middleware (once a minute), not on every request by allauth.
USERSESSIONS_TRACK_ACTIVITY = False
# Staff roles must enrol a second factor before using the back-office (README: the demo
# switches this off with CONSTEL_REQUIRE_STAFF_MFA=false).
CONSTEL_REQUIRE_STAFF_MFA = env.bool("CONSTEL_REQUIRE_STAFF_MFA", default=True)

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Lock an account after repeated failures, whatever the address; never an address (nor an
# address + browser pair: a clinic's nurses share a NAT address and the same browser), which
# would shut out everyone behind it — the per-address limit is allauth's, much higher (above).
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "constel.accounts.client_ip"
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "constel.accounts.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"

STAFF_SESSION_IDLE_SECONDS = 30 * 60
PATIENT_SESSION_IDLE_SECONDS = 60 * 60
SESSION_COOKIE_AGE = STAFF_SESSION_IDLE_SECONDS
# The idle expiry is pushed back by constel.middleware.StaffSecurityMiddleware, once a minute
# (ACTIVITY_RESOLUTION), rather than by a write of the session on every request.
SESSION_SAVE_EVERY_REQUEST = False

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "constel.api_auth.TenantTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "constel.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Constel API",
    "DESCRIPTION": (
        "Tenant-scoped API of the Constel care-programme platform.\n\n"
        "**Dates.** A date-time is sent and returned with its UTC offset "
        "(2026-12-02T00:30:00+01:00); one sent without an offset is read in the "
        "programme's time zone. A date (YYYY-MM-DD) is a day of the programme's own time "
        "zone (Europe/Paris unless the programme says otherwise): `since=2026-12-02` starts "
        "at midnight in Toulouse. Dates are accepted from 1900 to 2100.\n\n"
        "**Tokens.** A token acts in the one role (membership) it was created for."),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PhaseEnum": "pathways.models.Phase",
        "CarePlanKindEnum": "pathways.models.CarePlan.Kind",
        "CarePlanStatusEnum": "pathways.models.CarePlan.Status",
        "CarePlanItemKindEnum": "pathways.models.CarePlanItem.Kind",
        "ActivityKindEnum": "pathways.models.Activity.Kind",
        "ActivityStatusEnum": "pathways.models.Activity.Status",
        "ProfessionalKindEnum": "patients.models.Professional.Kind",
        "AlertStatusEnum": "telemonitoring.models.Alert.Status",
        "AlertOutcomeEnum": "telemonitoring.models.Alert.Outcome",
        "ClaimStatementStatusEnum": "billing.models.ClaimStatement.Status",
        "ClaimLineTypeEnum": "billing.models.ClaimLine.Type",
        "DueEventEnum": "billing.models.DueEvent",
    },
}

# --- Security headers ---------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- I18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"
#: uploads served only through access-checked views (educational videos)
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Constel <noreply@constel.example>")

# --- Logging: one JSON object per line ----------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "constel.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = True
SIMPLE_HISTORY_REVERT_DISABLED = True
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
SMS_BACKEND = env("SMS_BACKEND", default="constel.sms.ConsoleBackend")
# Messages in the session, not a cookie: a message may name a patient (#19).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
