"""LTE's one settings module, configured from the environment and runnable with no configuration.

Embedded default: SQLite, keys and outbox inside ``LTE_DATA_DIR``. ``DATABASE_URL`` switches to
PostgreSQL, ``REDIS_URL`` switches cache, rate limits and the job queue to Redis. ``LTE_ENV=production``
turns on everything an HTTPS deployment needs (``manage.py check --deploy`` reports nothing there).
"""

from __future__ import annotations

import base64
import binascii
import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from lte.lib.datadir import make_private
from lte.lib.env import envbool, envint, envstr, secret_file

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Where the instance keeps what it writes --------------------------------------------------------
DATA_DIR = Path(envstr("LTE_DATA_DIR", str(BASE_DIR / "var"))).resolve()
make_private(DATA_DIR)  # 0700, its files 0600, umask 077 for this process and its children
OUTBOX_DIR = DATA_DIR / "outbox"
BACKUP_DIR = Path(envstr("LTE_BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()

LTE_ENV = envstr("LTE_ENV", "development").strip().lower()
if LTE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"LTE_ENV={LTE_ENV!r}: use 'development' or 'production'.")
PRODUCTION = LTE_ENV == "production"
DEBUG = envbool("LTE_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("LTE_DEBUG must be off when LTE_ENV=production.")

PORT = envint("PORT", 8000, minimum=1, maximum=65535)
BASE_URL = envstr("LTE_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
_base = urlsplit(BASE_URL)
if _base.scheme not in {"http", "https"} or not _base.hostname:
    raise ImproperlyConfigured(f"LTE_BASE_URL={BASE_URL!r} must be an absolute http(s) URL.")
if PRODUCTION and _base.scheme != "https":
    raise ImproperlyConfigured("LTE_BASE_URL must be https:// when LTE_ENV=production.")

SECRET_KEY = envstr("SECRET_KEY") or secret_file(DATA_DIR / "secret_key", nbytes=50)


def _load_master_keys() -> list[bytes]:
    """The key-encryption keys: LTE_MASTER_KEY (comma-separated, newest first) or the 0600 key file."""
    raw = envstr("LTE_MASTER_KEY")
    source = "LTE_MASTER_KEY"
    if not raw and not (DATA_DIR / "master.key").exists() and _key_store_holds_keys():
        raise ImproperlyConfigured(
            f"{DATA_DIR / 'master.key'} is missing, but the key store holds keys it wrapped. LTE refuses to start "
            "rather than make a new key that opens nothing: restore master.key (or set LTE_MASTER_KEY)."
        )
    if not raw:
        raw = secret_file(
            DATA_DIR / "master.key", nbytes=32, encode=lambda n: base64.b64encode(os.urandom(n)).decode()
        )
        source = str(DATA_DIR / "master.key")
    keys = []
    for part in raw.split(","):
        try:
            key = base64.b64decode(part.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"{source} holds a key that is not 32 bytes of base64. LTE refuses to start rather "
                "than guess: restore the right key (it is never stored in the database or backups)."
            )
        keys.append(key)
    return keys


def _key_store_holds_keys() -> bool:
    """Whether the key store already holds wrapped account keys (read before Django is set up)."""
    query = "SELECT EXISTS (SELECT 1 FROM vault_accountkey)"
    url = envstr("KEYSTORE_URL")
    if url:
        import psycopg  # only with a PostgreSQL key store: `lte run`'s supervisor reads these settings, ~20 MB less

        url = url.replace("postgres://", "postgresql://", 1)
        try:
            with psycopg.connect(url, connect_timeout=10) as pg:
                row = pg.execute(query).fetchone()
        except psycopg.errors.UndefinedTable:
            return False
        except psycopg.Error as exc:
            if not _pg_database_exists(url):  # not created yet: a first start, nothing to lose
                return False
            raise ImproperlyConfigured(f"master.key is missing and the key store can't be read to see whether "
                                       f"that is a first start: {type(exc).__name__}") from None
        return bool(row and row[0])
    path = DATA_DIR / "keystore.sqlite3"
    if not path.exists():
        return False
    lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return bool(lite.execute(query).fetchone()[0])
    except sqlite3.OperationalError:  # no table yet: never migrated
        return False
    finally:
        lite.close()


def _pg_database_exists(url: str) -> bool:
    """Whether the database of `url` exists on its server (asked of the server's `postgres` database); True
    when even that can't be asked, so an unreachable server is never taken for an empty one."""
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.get("dbname")
    try:
        with psycopg.connect(psycopg.conninfo.make_conninfo(url, dbname="postgres"), connect_timeout=10) as pg:
            return pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    except psycopg.Error:
        return True


MASTER_KEYS = _load_master_keys()

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", _base.hostname]
ALLOWED_HOSTS += [h.strip() for h in envstr("LTE_ALLOWED_HOSTS").split(",") if h.strip()]

# --- Applications ------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "lte.privacy.apps.StaffAdminConfig",  # django.contrib.admin behind allauth's sign-in and two-factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "huey.contrib.djhuey",
    "lte.vault",
    "lte.accounts",
    "lte.billing",
    "lte.crm",
    "lte.teams",
    "lte.backups",
    "lte.privacy",
    "lte.site",
]

MIDDLEWARE = [
    "lte.lib.middleware.limit_request_head",
    "django.middleware.security.SecurityMiddleware",
    "lte.lib.middleware.security_headers",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lte.lib.middleware.limit_request_body",
    "lte.lib.diskfull.DiskFullMiddleware",  # a write on a full disk: 503 "nothing was changed"
    "lte.lib.diskfull.SessionMiddleware",  # Django's, but a full disk never fails a read for the session's sake
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lte.vault.middleware.request_principal",
    "lte.accounts.middleware.session_timeouts",
    "lte.accounts.middleware.preferences",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "lte.privacy.visitors.count_visitors",
    "lte.privacy.usage.record_page_views",
    "lte.lib.middleware.no_store_when_logged_in",
]

MIN_FREE_DISK_BYTES = envint("LTE_MIN_FREE_DISK_BYTES", 100 * 1024 * 1024, minimum=0)  # below: /healthz "degraded"

ROOT_URLCONF = "lte.urls"
WSGI_APPLICATION = "lte.wsgi.application"

# Form widgets render through Jinja2 (Django's own widget templates, its jinja2 copies; the admin's through the
# Django engine): the contact page's 11 widgets render in 0.62 ms, 1.36 ms through the Django engine.
FORM_RENDERER = "lte.lib.renderers.FormRenderer"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # ldate, ltime, ldatetime, lnumber, money, phone and {% today %}: the reader's locale, everywhere
            "builtins": ["lte.lib.format_filters"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lte.site.context_processors.site",
                "lte.privacy.context_processors.policy_banner",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------------
SQLITE_OPTIONS = {
    # WAL for concurrent readers; secure_delete so deleted rows are overwritten in the file.
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON; "
        "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
    ),
    "transaction_mode": "IMMEDIATE",
}
# Each thread keeps its SQLite connections between requests, as PostgreSQL's are kept: a new one reads the whole
# schema on its first statement and runs the PRAGMAs above, about 1 ms, twice a request (the data and the keys).
SQLITE_CONN_MAX_AGE = 60
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from exc
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "lte.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
            "CONN_MAX_AGE": SQLITE_CONN_MAX_AGE,
        }
    }
# The key store (wrapped per-account keys, tombstones) lives apart from the data, so that backups
# of the data never carry readable keys: a second SQLite file, or KEYSTORE_URL.
KEYSTORE_URL = envstr("KEYSTORE_URL")
if KEYSTORE_URL:
    try:
        DATABASES["keystore"] = dj_database_url.parse(KEYSTORE_URL, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"KEYSTORE_URL cannot be parsed: {exc}") from exc
else:
    DATABASES["keystore"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "keystore.sqlite3"),
        "OPTIONS": SQLITE_OPTIONS,
        "CONN_MAX_AGE": SQLITE_CONN_MAX_AGE,
    }
DATABASE_ROUTERS = ["lte.vault.router.KeystoreRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
VAULT_KEY_CACHE_SECONDS = envint("LTE_KEY_CACHE_SECONDS", 60, minimum=0)
# Usage events are buffered per process and written this often, off the request path (0: only by flush()).
USAGE_FLUSH_SECONDS = envint("LTE_USAGE_FLUSH_SECONDS", 5, minimum=0)

# --- Cache, rate limits, jobs --------------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
CACHE_KEY_PREFIX = envstr("LTE_CACHE_PREFIX", "lte")
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": CACHE_KEY_PREFIX}}
else:
    # Rate limits must be one budget for every gunicorn worker and the API: a process-local cache multiplied
    # each limit by the worker count. The database is already shared by every process and its `add` is atomic
    # (allauth's rate-limit lock relies on that; the file cache's add is a racy check-then-write). The table is
    # created after every migrate (lte.accounts.apps); it holds rate-limit counters and import progress only,
    # under keyed hashes (rate-limit keys name IP addresses).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "lte_cache",
                          "KEY_PREFIX": CACHE_KEY_PREFIX, "KEY_FUNCTION": "lte.lib.cachekeys.hashed_key",
                          # a flood of keys must not cull live counters (the default culls at 300 entries)
                          "OPTIONS": {"MAX_ENTRIES": 200_000, "CULL_FREQUENCY": 4}}}

HUEY = {
    "name": CACHE_KEY_PREFIX,  # two instances sharing one Redis never take each other's jobs
    "immediate": envbool("LTE_JOBS_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": envint("LTE_WORKER_THREADS", 2, minimum=1), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.PriorityRedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "jobs.sqlite3")}

# --- Accounts ------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
PASSWORD_HASHERS = [
    # First: the bcrypt hasher the policy names (SHA-256 prehash, so no 72-byte truncation), cost 12.
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("email", "name")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "lte.accounts.validators.MaximumLengthValidator",
     "OPTIONS": {"max_length": PASSWORD_MAX_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

ACCOUNT_ADAPTER = "lte.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "lte.accounts.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True  # the link signs in (in the browser that signed up)
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False  # a reset never logs in, so it never bypasses two-factor
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = True  # phones stay logged in; the idle and absolute time-outs still apply
ACCOUNT_USER_DISPLAY = "lte.accounts.models.display_name"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "LTE: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _base.scheme
ACCOUNT_RATE_LIMITS = {
    # SECURITY.md 3: five failures per (account, IP) in 15 minutes trigger a cool-off; never a lockout. The key
    # is the account *and* the IP (lte.accounts.limits), so someone else's wrong passwords don't stop the owner;
    # the account as a whole has a looser cap against guessing from many addresses. The same "login_failed"
    # budget (per account) covers two-factor codes on the web and the API.
    "login_failed": "10/m/ip,5/15m/key",
    "login_failed_account": "30/15m/key",
    # Signups and resets send mail to any address typed in: a few an hour from one IP, a few a day to one address.
    "signup": "3/m/ip,10/h/ip",
    "reset_password": "3/m/ip,10/h/ip,1/m/key,3/h/key",
    # Verification and "you already have an account" mails, per address (allauth's default is 1 per 3 minutes).
    "confirm_email": "1/3m/key,3/h/key,6/d/key",
    # Every password or two-factor answer of a signed-in account: the re-authentication page and deleting the
    # account (lte.privacy.deletion) spend the same per-account budget, so a code can't be guessed there.
    "reauthenticate": "10/m/user,30/h/user",
    # API tokens are logins too.
    "api_token": "30/m/ip",
    # Reports that an account belongs to a child (lte.privacy.children): anyone may send one, five an hour.
    "report_child": "5/h/ip",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "crm:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "lte.accounts.adapter.MFAAdapter"
MFA_FORMS = {  # the same forms, with code fields that open the phone's number pad
    "authenticate": "lte.accounts.forms.MFAAuthenticateForm",
    "reauthenticate": "lte.accounts.forms.MFAReauthenticateForm",
    "activate_totp": "lte.accounts.forms.ActivateTOTPForm",
}
MFA_TOTP_ISSUER = "LeadTrackEngine"
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side, for phone clocks that drift
# The session list's "last used" is written by lte.accounts.middleware.session_timeouts, at most once a minute:
# allauth's own tracking writes the session's row on every request, a write on every read.
USERSESSIONS_TRACK_ACTIVITY = False
ALLAUTH_TRUSTED_PROXY_COUNT = envint("LTE_TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- Sessions and cookies: two cookies at most (the session and the preferences) ------------------------
# Database sessions (cached_db with Redis); a session holding only the CSRF token is kept in its cookie instead,
# so a cookieless visit to a public form stores nothing (lte.accounts.sessions).
SESSION_ENGINE = "lte.accounts.sessions"
SESSION_COOKIE_NAME = "__Host-lte_session" if _base.scheme == "https" else "lte_session"
SESSION_COOKIE_SECURE = _base.scheme == "https"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_IDLE_TIMEOUT = envint("LTE_SESSION_IDLE_SECONDS", 60 * 60 * 24 * 3, minimum=60)
SESSION_ABSOLUTE_TIMEOUT = envint("LTE_SESSION_ABSOLUTE_SECONDS", 60 * 60 * 24 * 30, minimum=60)
PREFS_COOKIE_NAME = "lte_prefs"
CSRF_USE_SESSIONS = True
CSRF_COOKIE_SECURE = _base.scheme == "https"
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LANGUAGE_COOKIE_NAME = "lte_lang_unused"  # never set: the language lives in lte_prefs or the profile

# --- HTTP security ---------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("LTE_BEHIND_PROXY") else None
if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_REQUEST_BODY_BYTES = envint("LTE_MAX_REQUEST_BYTES", 1_048_576, minimum=1024)
MAX_UPLOAD_BODY_BYTES = 55 * 1024 * 1024  # file imports (CRM) take up to 50 MB
# Our own limits on the request line and headers (lte.lib.middleware.limit_request_head answers 414/431 as
# JSON); gunicorn's, set by `lte run` at twice these (the line at its 8190 maximum), are only a backstop.
MAX_REQUEST_LINE = 4094
MAX_REQUEST_HEADER_LINE = 8190
MAX_REQUEST_HEADERS = 100

# --- Email: a file outbox by default, Postmark (tracking off) in production -------------------------------
DEFAULT_FROM_EMAIL = envstr("LTE_FROM_EMAIL", "LeadTrackEngine <hello@leadtrackengine.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
POSTMARK_SERVER_TOKEN = envstr("POSTMARK_SERVER_TOKEN")
if POSTMARK_SERVER_TOKEN:
    EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    ANYMAIL = {"POSTMARK_SERVER_TOKEN": POSTMARK_SERVER_TOKEN}
    if envstr("POSTMARK_API_URL"):
        ANYMAIL["POSTMARK_API_URL"] = envstr("POSTMARK_API_URL")
    # Every email we send is transactional (verification, reset, notices, billing, the digest): Postmark's
    # transactional stream, "outbound" unless the server names another.
    ANYMAIL_SEND_DEFAULTS = {"track_opens": False, "track_clicks": False,
                             "esp_extra": {"MessageStream": envstr("POSTMARK_MESSAGE_STREAM", "outbound")}}
else:
    EMAIL_BACKEND = "lte.lib.mail.OutboxBackend"

# --- Billing: off unless a Stripe key is set (CONTRACT.md 'Billing'; lte/accounts/plans.py) -----------------
STRIPE_SECRET_KEY = envstr("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = envstr("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = envstr("STRIPE_API_BASE")  # the official SDK pointed at another server (a local fake in tests)

# --- Language, time, static files -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The five languages LTE is complete in (CONTRACT.md): every string has a translation in locale/ (the
# completeness test, lte/site/tests/test_translations.py). Codes as the contract spells them: Django matches
# them case-insensitively (pt-br) and finds the catalogs in locale/pt_BR.
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("pt-BR", "Português (Brasil)"),
    ("fr", "Français"),
    ("de", "Deutsch"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
LTE_TRUST_COUNTRY_HEADER = envbool("LTE_TRUST_COUNTRY_HEADER", False)  # CF-IPCountry behind Cloudflare

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Logging: structured, to stderr, never with contents --------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_secret_paths": {"()": "lte.lib.accesslog.MaskSecretPaths"}},  # reset/confirmation keys
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "filters": ["mask_secret_paths"]}},
    "root": {"handlers": ["stderr"], "level": envstr("LTE_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "django.security": {"level": "WARNING"}},
}
