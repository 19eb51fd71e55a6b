"""Settings for the casework project.

One module, read from environment variables through the small typed helpers below.
Nothing secret lives in the repository: SECRET_KEY is required whenever DEBUG is off.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a fresh key per process (`make run` keeps one in var/).
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Name shown in the header, e-mails and documents.
ORGANISATION_NAME = env_str("ORGANISATION_NAME", "Casework")
# The address people use to reach the app, for links in e-mails sent without a request
# (e.g. "https://casework.example.org"); links are relative when it is empty.
SITE_URL = env_str("SITE_URL")

# Longest case note or information detail, in characters: a 3 MB note made the record take
# 15 s to load for everyone. A summary is meant to be short and has its own limit.
CASE_TEXT_MAX_CHARS = env_int("CASE_TEXT_MAX_CHARS", 20_000)
CASE_SUMMARY_MAX_CHARS = env_int("CASE_SUMMARY_MAX_CHARS", 1_000)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "pgtrigger",
    "deadlines",
    "accounts",
    "clients",
    "consent",
    "sharing",
    "statutory",
    "rights",
    "breaches",
    "access",
    "imports",
    "reports",
    # The project package itself, for project-wide management commands (seed_demo, bench).
    "casework",
]

MIDDLEWARE = [
    "casework.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "casework.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Responses to a signed-in person are never cached (client data, shared computers).
    "casework.middleware.NoStoreMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # One-time form tokens: a form sent twice shows the first result (accounts.formtokens).
    "accounts.middleware.FormOnceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns the gate's refusals into the reason page or a 404, and audit failures into a 503.
    "access.middleware.GateMiddleware",
    # AxesMiddleware must be last: it turns lockouts into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casework.urls"
# Text areas without `maxlength`, so a browser never cuts pasted text silently (casework/forms.py).
FORM_RENDERER = "casework.forms.FormRenderer"
WSGI_APPLICATION = "casework.wsgi.application"

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
                "casework.context_processors.site",
            ],
            # Replaces {% csrf_token %} so every form carries the form tokens (accounts.formtokens),
            # and {% url %} with one that keeps its answers (casework.templatetags.cached_url).
            "builtins": ["accounts.templatetags.formtokens", "casework.templatetags.cached_url"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has several writers (runserver's threads, the Celery worker).
    # SQLite's deferred transactions fail at once with "database is locked" when a reader
    # turns writer while another connection writes, whatever the timeout; an immediate
    # transaction takes the write lock at BEGIN and waits for it. WAL lets pages be read
    # while someone writes. See the README's "SQLite limits".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 30),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out username+IP never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
    # Single sign-on (OpenID Connect); inert until OIDC_ISSUER and OIDC_CLIENT_ID are set.
    "accounts.sso.StaffOIDCBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password-reset links are valid for two hours, not Django's three days.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_MINUTES", 120) * 60
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Guardian: object permissions only for real staff; no anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# Lockout (django-axes): keyed on username and IP *together*. Staff in a hostel share
# one public IP, so an IP-only lockout would lock out a whole team.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# Number of trusted reverse proxies in front of the app; TrustedProxyMiddleware takes the
# client address from X-Forwarded-For accordingly, for axes, security events and audit.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_VERBOSE = False

# Sessions: idle timeout and absolute lifetime (enforced by SessionSecurityMiddleware).
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 30))
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=env_int("SESSION_ABSOLUTE_HOURS", 10))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIFETIME.total_seconds())
# How long before the idle timeout a page warns and offers "stay signed in".
SESSION_WARNING = timedelta(minutes=env_int("SESSION_WARNING_MINUTES", 2))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Django's database sessions, read with a precompiled statement (accounts/session_store.py).
SESSION_ENGINE = "accounts.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

OTP_TOTP_ISSUER = ORGANISATION_NAME
# Second-factor keys and QR codes are shown once, at enrolment, to the person: never in admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Backup codes: how many a set has, and django-otp's throttle factor (seconds, doubling per wrong code).
OTP_BACKUP_CODE_COUNT = env_int("OTP_BACKUP_CODE_COUNT", 10)
OTP_BACKUP_CODE_THROTTLE_FACTOR = env_int("OTP_BACKUP_CODE_THROTTLE_FACTOR", 1)

# Single sign-on with the organisation's OpenID Connect provider (accounts/sso.py,
# mozilla-django-oidc). Endpoints come from the issuer's discovery document.
OIDC_ISSUER = env_str("OIDC_ISSUER")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
# The claim that links a sign-on to a staff account the first time: "email" (the
# provider must say it is verified) or another claim matched against the username.
OIDC_MATCH_CLAIM = env_str("OIDC_MATCH_CLAIM", "email")
# ID-token `amr` values (RFC 8176) or `acr` values that mean multi-factor sign-in.
OIDC_MFA_AMR = env_list("OIDC_MFA_AMR", "mfa,otp,hwk,swk,sms,fpt,face")
OIDC_MFA_ACR = env_list("OIDC_MFA_ACR")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your organisation's account")
# Roles whose password sign-in is turned off once single sign-on is configured.
PASSWORD_SIGN_IN_OFF_FOR_ROLES = env_list("PASSWORD_SIGN_IN_OFF_FOR_ROLES")
OIDC_CREATE_USER = False
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso_callback"

# "Add a client" shows a record with the same date of birth as a possible duplicate when
# the names score at least this (0-100, rapidfuzz token-sort ratio; clients.duplicates).
DUPLICATE_NAME_SCORE = env_int("DUPLICATE_NAME_SCORE", 85)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploaded evidence (signed consent forms, warrants) lives outside the web root and is
# served only through the access gate. There is deliberately no MEDIA_URL route.
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "var" / "private")))
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Decompression bombs (a small file that expands hugely when read): an uploaded PDF may
# have at most this many pages and streams that inflate to at most this many bytes in all;
# an image (uploaded, or inside a PDF) at most this many pixels.
UPLOAD_MAX_PDF_PAGES = env_int("UPLOAD_MAX_PDF_PAGES", 200)
UPLOAD_MAX_DECODED_BYTES = env_int("UPLOAD_MAX_DECODED_BYTES", 200 * 1024 * 1024)
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 60_000_000)
# Client imports (imports/): the largest spreadsheet accepted, and rows written per transaction.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", 200)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Audit seals are also appended to this file, outside the database.
AUDIT_SEAL_FILE = Path(env_str("AUDIT_SEAL_FILE", str(BASE_DIR / "var" / "audit-seals.log")))
# Rows younger than this are left for the next sealing run (ids are assigned before
# commit, so a lower id can become visible after a higher one).
AUDIT_SEAL_SAFETY_SECONDS = env_int("AUDIT_SEAL_SAFETY_SECONDS", 30)
# How often beat seals the audit log. A row stays unsealed (deletable by someone who can
# disable the trigger, undetected) for at most about SAFETY + INTERVAL seconds: 90 by default.
AUDIT_SEAL_INTERVAL_SECONDS = env_int("AUDIT_SEAL_INTERVAL_SECONDS", 60)

# A caseload assignment its caseworker has not used (no allowed access to that client)
# for this many days is listed for the team's managers to review and end.
ASSIGNMENT_IDLE_DAYS = env_int("ASSIGNMENT_IDLE_DAYS", 90)

# Breach alert thresholds, in hours left before the 72-hour ICO deadline (0 = overdue).
BREACH_ALERT_HOURS = [int(h) for h in env_list("BREACH_ALERT_HOURS", "48,24,12,4,0")]
# The breach queue warns, and the ISO is e-mailed once, when the deadline sweep is this late.
DEADLINE_SWEEP_STALE_MINUTES = env_int("DEADLINE_SWEEP_STALE_MINUTES", env_int("BREACH_SWEEP_STALE_MINUTES", 15))
BREACH_SWEEP_STALE_MINUTES = DEADLINE_SWEEP_STALE_MINUTES

# The outbox (deadlines app): an e-mail the mail server refused is retried by the sweep
# up to this many attempts in all; one left "sending" this long (its sender died) is
# marked "unknown", shown to the ISO and never re-sent automatically.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 5)
OUTBOX_SENDING_STALE_MINUTES = env_int("OUTBOX_SENDING_STALE_MINUTES", 10)

# Consent and other lawful bases: a review date or an end date this many days ahead puts
# the item on the caseworker's dashboard and e-mails the key worker once.
CONSENT_REVIEW_WINDOW_DAYS = env_int("CONSENT_REVIEW_WINDOW_DAYS", 14)
# A consent's next review, when a review is recorded, is this many days later.
CONSENT_REVIEW_PERIOD_DAYS = env_int("CONSENT_REVIEW_PERIOD_DAYS", 182)
# Data-sharing agreements: days before the end date at which managers and the ISO are
# e-mailed (once each); the largest also sets how early it shows on their dashboards.
AGREEMENT_END_LEAD_DAYS = [int(d) for d in env_list("AGREEMENT_END_LEAD_DAYS", "90,30,7")]
# Days before a rectification request's one-month deadline at which its handlers are e-mailed
# (0 = when it is overdue). rights/rectification.py.
RECTIFICATION_ALERT_DAYS = [int(d) for d in env_list("RECTIFICATION_ALERT_DAYS", "7,0")]
# A report whose "became aware" is older than this asks the person to confirm the date.
BREACH_AWARE_CONFIRM_DAYS = env_int("BREACH_AWARE_CONFIRM_DAYS", 365)

# Partners' registered secure addresses (consent.services.partner_address_check): domains (and
# their subdomains) recognised as secure, and free webmail domains refused unless an admin
# records why.
SECURE_EMAIL_RECOGNISED_DOMAINS = env_list("SECURE_EMAIL_RECOGNISED_DOMAINS", "nhs.net,gov.uk,police.uk,cjsm.net")
SECURE_EMAIL_REFUSED_DOMAINS = env_list(
    "SECURE_EMAIL_REFUSED_DOMAINS",
    "gmail.com,googlemail.com,hotmail.com,hotmail.co.uk,outlook.com,live.com,live.co.uk,msn.com,yahoo.com,"
    "yahoo.co.uk,ymail.com,aol.com,icloud.com,me.com,gmx.com,gmx.co.uk,mail.com,protonmail.com,proton.me,"
    "btinternet.com,sky.com,virginmedia.com,talktalk.net",
)

# Transmission of referrals and notices to partners (sharing.services.transmission_send).
# A claim older than this with no outcome was left by a worker that died: "unknown", never resent.
TRANSMISSION_CLAIM_TIMEOUT_SECONDS = env_int("TRANSMISSION_CLAIM_TIMEOUT_SECONDS", 300)
# Attempts before a failed transmission waits for someone to press "Send again".
TRANSMISSION_MAX_ATTEMPTS = env_int("TRANSMISSION_MAX_ATTEMPTS", 5)
# Seconds before the worker retries a failed send (doubling each time).
TRANSMISSION_RETRY_SECONDS = env_int("TRANSMISSION_RETRY_SECONDS", 60)
# A transmission still queued this many minutes after it was asked for (its task was lost)
# is handed to the worker again by the deadline sweep, which re-checks its basis first.
TRANSMISSION_REQUEUE_MINUTES = env_int("TRANSMISSION_REQUEUE_MINUTES", 10)

# Subject access packs name the staff who accessed or recorded (else their role and team only).
SAR_PACK_STAFF_NAMES = env_bool("SAR_PACK_STAFF_NAMES", False)
# Subject access requests: managers and the ISO are e-mailed when the register first shows
# this many days left (and when a request is overdue), once each (rights.deadlines).
SAR_ALERT_DAYS_LEFT = [int(d) for d in env_list("SAR_ALERT_DAYS_LEFT", "7,1")]

# Transfers of personal data outside the UK, for the records of processing (Art 30(1)(e)):
# one description each, with its safeguard, separated by "|". None by default.
INTERNATIONAL_TRANSFERS = [item.strip() for item in env_str("INTERNATIONAL_TRANSFERS").split("|") if item.strip()]

# Retention batches (rights.retention): clients anonymised per transaction, and how long one
# run of the task works before it re-queues itself (so a large batch never holds a worker).
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 100)
RETENTION_TASK_SECONDS = env_int("RETENTION_TASK_SECONDS", 240)
# Disclosure snapshots and released subject access packs of an anonymised client are kept
# this many days after the anonymisation, under the legal-claims exemption (Art 17(3)(e);
# six years, the Limitation Act 1980's period for most claims), then the daily retention
# review removes their personal content (rights.retention.snapshot_content_sweep).
DISCLOSURE_SNAPSHOT_RETENTION_DAYS = env_int("DISCLOSURE_SNAPSHOT_RETENTION_DAYS", 6 * 365 + 2)

# E-mail.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "casework@localhost")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (one file per connection).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Redis and Celery. The web app never needs Redis to answer a request.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env_str("CELERY_FILESYSTEM_DIR", str(BASE_DIR / "var" / "celery")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_TIMEZONE = "UTC"
# Publishing must not hang a web request when Redis is down.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False

# Production hardening. Every value can be relaxed by environment for local HTTP use.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
