"""Django settings for jiuzhu (救助).

Configuration comes from the environment; defaults give a working local setup:
SQLite in ``var/`` and the PII master key in ``var/jiuzhu.key`` (created by ``make demo``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JIUZHU_VAR_DIR", BASE_DIR / "var"))


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


# Production is the default: DEBUG only when asked for (`make run` asks for it).
DEBUG = _flag("DJANGO_DEBUG", False)
TESTING = "PYTEST_VERSION" in os.environ  # set by pytest for the whole run
DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
# Outside DEBUG and tests there is no built-in key: wsgi/asgi and `manage.py check` refuse to
# start without DJANGO_SECRET_KEY (jiuzhu.web.startup).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "") or (DEV_SECRET_KEY if DEBUG or TESTING else "")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# HTTPS (等保: transport encryption): on by default in production, off for DEBUG and tests.
HTTPS = _flag("DJANGO_HTTPS", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000" if HTTPS else "0"))
# The platform's own host name has no subdomains of other services; preload only signals consent.
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = _flag("DJANGO_HSTS_PRELOAD", HTTPS)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts only from our own static files (no inline script, no eval: htmx's allowEval is off);
# inline style attributes are allowed (layout only). Swagger UI of /api/v1/docs runs within it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Behind a reverse proxy that terminates TLS (nginx, a government gateway): trust its header.
if _flag("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "ninja",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "jiuzhu.web",
    "jiuzhu.areas",
    "jiuzhu.accounts",
    "jiuzhu.audit",
    "jiuzhu.holidays",
    "jiuzhu.registry",
    "jiuzhu.programs",
    "jiuzhu.applications",
    "jiuzhu.verification",
    "jiuzhu.payments",
    "jiuzhu.monitoring",
    "jiuzhu.funds",
    "jiuzhu.referrals",
    "jiuzhu.disclosure",
    "jiuzhu.complaints",
    "jiuzhu.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jiuzhu.web.middleware.SecurityHeadersMiddleware",
    "jiuzhu.web.middleware.UploadSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiuzhu.web.middleware.ReadOnlyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "jiuzhu.web.middleware.ParameterStoreMiddleware",
]

if not (DEBUG or TESTING):  # runserver and the test live server serve static files themselves
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "jiuzhu.urls"
WSGI_APPLICATION = "jiuzhu.wsgi.application"
ASGI_APPLICATION = "jiuzhu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jiuzhu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiuzhu.web.context_processors.navigation",
            ],
        },
    }
]


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
        config.setdefault("TEST", {})
        if "postgresql" in str(config.get("ENGINE", "")):
            # No JIT: our largest statements (a county's roster, lists, counts) run in 0.1–1 s and
            # JIT compiling them cost 0.5–1.3 s more (docs/decisions.md). "?options=…" in
            # DATABASE_URL replaces this.
            options = config.setdefault("OPTIONS", {})
            assert isinstance(options, dict)
            options.setdefault("options", "-c jit=off")
            if _flag("JIUZHU_DB_TRANSACTION_POOLING", False):
                # A pooler in transaction mode (PgBouncer pool_mode=transaction) hands each
                # transaction any server connection: no cursor may outlive one. (Django already
                # prepares no statements on psycopg 3.)
                config["DISABLE_SERVER_SIDE_CURSORS"] = True
        elif "sqlite3" in str(config.get("ENGINE", "")):
            options = config.setdefault("OPTIONS", {})
            assert isinstance(options, dict)
            for key, value in _sqlite_options().items():
                options.setdefault(key, value)
        return config
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3", "OPTIONS": _sqlite_options()}


def _sqlite_options() -> dict[str, object]:
    """SQLite's connection options, for the embedded default and a ``sqlite://`` DATABASE_URL alike
    (without them a web server and ``db_worker`` on one file failed with "database is locked")."""
    return {
        # IMMEDIATE: every transaction takes the write lock at BEGIN, so two writers
        # queue instead of failing with "database is locked" on lock upgrade; this also
        # serializes the audit hash chain.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


DATABASES = {"default": _database()}
FORM_RENDERER = "jiuzhu.web.forms.FormRenderer"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; harmless

# Login lockout (django-axes): 5 failures per user name lock it for 30 minutes.
# Long jobs (rosters, ingest, re-verification): heartbeat interval, and how old a heartbeat of
# a worker on another host may be before its job counts as dead (same host: the process table).
JOB_HEARTBEAT_SECONDS = float(os.environ.get("JIUZHU_JOB_HEARTBEAT_SECONDS", "5"))
JOB_STALE_SECONDS = float(os.environ.get("JIUZHU_JOB_STALE_SECONDS", "120"))
# API tokens expire: the default lifetime when none is asked for, and the longest allowed.
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("JIUZHU_API_TOKEN_DAYS", "90"))
API_TOKEN_MAX_DAYS = int(os.environ.get("JIUZHU_API_TOKEN_MAX_DAYS", "365"))
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "jiuzhu" / "locale"]  # our few strings said differently from Django's
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "jiuzhu" / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# WhiteNoise serves static files in every mode; outside DEBUG and tests with hashed, compressed
# names from `collectstatic` (`make prod` runs it), cached for a year by browsers.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("JIUZHU_MEDIA_ROOT", VAR_DIR / "media"))
# The documents' font cut down to GB 2312 (jiuzhu.web.fonts; manage.py build_pdf_fonts).
PDF_FONT_DIR = Path(os.environ.get("JIUZHU_PDF_FONT_DIR", VAR_DIR / "fonts"))

# Uploads: whole requests above this size are refused before they are read.
MAX_UPLOAD_BYTES = int(os.environ.get("JIUZHU_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# PII master key: base64 in JIUZHU_MASTER_KEY, or a key file (created by `make demo`).
JIUZHU_MASTER_KEY = os.environ.get("JIUZHU_MASTER_KEY", "")
# Crypto profile (issue 19 item 8): "standard" (AES-256-GCM, HMAC-SHA256) or "gm" (国密:
# SM4-GCM, HMAC-SM3). Switching a live database: manage.py reencrypt_pii (docs/decisions.md).
JIUZHU_CRYPTO_PROFILE = os.environ.get("JIUZHU_CRYPTO_PROFILE", "standard")
JIUZHU_KEY_FILE = Path(os.environ.get("JIUZHU_KEY_FILE", VAR_DIR / "jiuzhu.key"))

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "jiuzhu.web.logmask.MaskPII"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_pii"]}},
    "loggers": {
        "jiuzhu": {"handlers": ["console"], "level": "INFO"},
        # request warnings and errors carry the URL: masked like everything else
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Lockout is per user name, not per IP: a town office shares one NAT address, and locking
# it would stop every clerk there (see docs/decisions.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Reading limits for uploaded tables (jiuzhu/core/bounded.py), checked while reading: a
# crafted file is refused quickly instead of inflating to gigabytes. Deployment limits,
# not county policy; see docs/decisions.md "Bounded input".
UPLOAD_LIMITS = {
    # 家庭登记导入: one row per member; a county has tens of thousands of households.
    "registry": {
        "rows": 200_000,
        "columns": 64,
        "cell_chars": 2_000,
        "unzipped_bytes": 256 * 1024 * 1024,
        "ratio": 250,
        "members": 64,
    },
    # 行政区划导入 (CSV).
    "areas": {
        "rows": 100_000,
        "columns": 16,
        "cell_chars": 200,
        "unzipped_bytes": 0,
        "ratio": 250,
        "members": 0,
    },
    # 部门数据上报: a monthly social-insurance file has millions of rows (Excel holds 1,048,576).
    "verification": {
        "rows": 50_000_000,
        "columns": 64,
        "cell_chars": 4_000,
        "unzipped_bytes": 1024 * 1024 * 1024,
        "ratio": 250,
        "members": 64,
    },
}

# Anchors of the audit chain heads (manage.py anchor_audit_chain, run periodically): keep
# this file on other storage than the database (another host, write-once media).
# Signed notices (issue 19 item 9): the county's signing key and certificate (PEM). Missing
# files are made as a self-signed pair on first use (demo, tests); production installs the
# certificate its CA issued. PUBLIC_BASE_URL is what the QR code on a notice points to.
SIGNING_KEY_FILE = Path(os.environ.get("JIUZHU_SIGNING_KEY_FILE", VAR_DIR / "signing-key.pem"))
SIGNING_CERT_FILE = Path(os.environ.get("JIUZHU_SIGNING_CERT_FILE", VAR_DIR / "signing-cert.pem"))
SIGNING_ORGANIZATION = os.environ.get("JIUZHU_SIGNING_ORGANIZATION", "社会救助综合管理信息平台")
SIGNING_SUBJECT = os.environ.get("JIUZHU_SIGNING_SUBJECT", "社会救助电子文书签章（演示）")
# 国密 profile: the county's SM2 private key (64 hex digits), made on first use in demo/tests.
SM2_KEY_FILE = Path(os.environ.get("JIUZHU_SM2_KEY_FILE", VAR_DIR / "sm2-key.hex"))
# 国密 profile, 跨县核对: this instance's own SM2 private key for signing peer requests and
# answers (64 hex digits, mode 0600, never in the database). Made by `manage.py
# peer_public_key`, which prints the public key to give the other county.
PEER_SM2_KEY_FILE = Path(os.environ.get("JIUZHU_PEER_SM2_KEY_FILE", VAR_DIR / "peer-sm2-key.hex"))
PUBLIC_BASE_URL = os.environ.get("JIUZHU_PUBLIC_URL", "http://127.0.0.1:8000")
AUDIT_ANCHOR_FILE = Path(os.environ.get("JIUZHU_AUDIT_ANCHOR_FILE", VAR_DIR / "audit-anchors.jsonl"))

# Department files (plain ID numbers) in the ingest spool: deleted as soon as their batch is
# loaded or rejected (0), or kept N days; the spool refuses new files above its size bound.
SPOOL_RETENTION_DAYS = int(os.environ.get("JIUZHU_SPOOL_RETENTION_DAYS", "0"))
SPOOL_MAX_BYTES = int(os.environ.get("JIUZHU_SPOOL_MAX_BYTES", str(20 * 1024**3)))

# 掌上办 (issue 18): SMS for one-time codes (docs/portal.md). Console in development; the
# generic 短信平台 adapter ``jiuzhu.portal.sms.HttpBackend`` in production.
JIUZHU_SMS_BACKEND = os.environ.get("JIUZHU_SMS_BACKEND", "jiuzhu.portal.sms.ConsoleBackend")
JIUZHU_SMS_FILE = Path(os.environ.get("JIUZHU_SMS_FILE", VAR_DIR / "sms.jsonl"))
JIUZHU_SMS_URL = os.environ.get("JIUZHU_SMS_URL", "")
JIUZHU_SMS_KEY_ID = os.environ.get("JIUZHU_SMS_KEY_ID", "")
JIUZHU_SMS_SECRET = os.environ.get("JIUZHU_SMS_SECRET", "")
JIUZHU_SMS_SIGN_NAME = os.environ.get("JIUZHU_SMS_SIGN_NAME", "社会救助")
# 阿里云短信服务 (``jiuzhu.portal.sms.AliyunBackend``): the approved 模板CODE of each message,
# JSON {"login_code": "SMS_…", "sign_link": "SMS_…", "sign_code": "SMS_…", "notice": "SMS_…"}.
JIUZHU_SMS_TEMPLATES = json.loads(os.environ.get("JIUZHU_SMS_TEMPLATES") or "{}")
JIUZHU_SMS_ALIYUN_ENDPOINT = os.environ.get("JIUZHU_SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
# The code request answers no sooner than this, whether or not the ID number is known.
JIUZHU_MY_CODE_MIN_SECONDS = float(os.environ.get("JIUZHU_MY_CODE_MIN_SECONDS", "0.8"))
JIUZHU_MY_SESSION_HOURS = int(os.environ.get("JIUZHU_MY_SESSION_HOURS", "2"))
