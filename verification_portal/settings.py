"""Settings for the Verification Portal, read from the environment (django-environ).

Every variable is documented in README.md. A local `.env` file is read when present; real
environment variables win over it.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


class _Env(environ.Env):
    """django-environ, but a value that cannot be read names its variable.

    Plain django-environ lets `INVITE_TTL_DAYS=seven` escape as "invalid literal for int()",
    which says neither which variable nor what it should be. The value itself is not echoed:
    it may be a password.
    """

    _EXPECTED = {"int": "a whole number", "float": "a number", "loads": "JSON"}

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as error:
            expected = self._EXPECTED.get(getattr(cast, "__name__", ""), "a valid value")
            raise ImproperlyConfigured(
                f"{var} cannot be read as {expected} ({type(error).__name__}). "
                f"Check its value in the environment or .env (see README.md, Configuration)."
            ) from None


env = _Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Dev-safe defaults exist only with DEBUG=true; production must say what it wants.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG=false the portal refuses to start without it: "
            "set SECRET_KEY to a long random string (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`), "
            "or set DEBUG=true for local development."
        )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts",
    "verifications",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_q",
    "django_ratelimit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "verification_portal.urls"
WSGI_APPLICATION = "verification_portal.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
            ],
        },
    },
]


def _database(url: str) -> dict:
    scheme = url.partition("://")[0]
    # django-environ turns an unknown scheme into an engine name and fails much later.
    if scheme not in environ.Env.DB_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database URL Django understands (scheme {scheme!r}); "
            "expected for example sqlite:///db.sqlite3 or postgres://user@host:5432/name"
        )
    try:
        config = environ.Env.db_url_config(url)
    except ValueError:  # e.g. a port that is not a number; never echo the URL (a password)
        raise ImproperlyConfigured(
            "DATABASE_URL cannot be read (is the port a number?); expected for example "
            "postgres://user:password@host:5432/name"
        ) from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The web process and the worker share one SQLite file: take the write lock up
        # front and wait for it, so neither fails with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "timeout": 20,
            **config.get("OPTIONS", {}),
        }
    else:
        config.setdefault("CONN_MAX_AGE", 60)
        config.setdefault("CONN_HEALTH_CHECKS", True)
    return config


DATABASES = {"default": _database(env.str("DATABASE_URL", default="sqlite:///db.sqlite3"))}
if DATABASES["default"]["NAME"] == "db.sqlite3":
    DATABASES["default"]["NAME"] = str(BASE_DIR / "db.sqlite3")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Manila")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

_email = env.email_url("EMAIL_URL", default="consolemail://")
# django-environ gives None for the parts a URL leaves out; Django wants its own defaults.
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="verification@localhost")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer probes its backends over plain HTTP; a redirect would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # Production runs gunicorn behind a TLS-terminating proxy that sets X-Forwarded-Proto
    # (README, "Deploy"); without this every request would look like plain HTTP.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = [SITE_URL]

# --- Smile ----------------------------------------------------------------------------------
SMILE_MODE = env.str("SMILE_MODE", default="sandbox")
if SMILE_MODE not in ("sandbox", "production"):
    raise ImproperlyConfigured(f"SMILE_MODE must be 'sandbox' or 'production', not {SMILE_MODE!r}")
_SMILE_HOSTS = {
    "sandbox": ("https://sandbox.smileapi.io/v1", "https://link-sandbox.smileapi.io/v1"),
    "production": ("https://open.smileapi.io/v1", "https://link.smileapi.io/v1"),
}
SMILE_API_URL = env.str("SMILE_API_URL", default=_SMILE_HOSTS[SMILE_MODE][0]).rstrip("/")
SMILE_LINK_API_URL = env.str("SMILE_LINK_API_URL", default=_SMILE_HOSTS[SMILE_MODE][1]).rstrip("/")
SMILE_WINK_SCRIPT_URL = env.str(
    "SMILE_WINK_SCRIPT_URL", default="https://web.smileapi.io/v2/smile.v2.js"
)
SMILE_CLIENT_ID = env.str("SMILE_CLIENT_ID", default="")
SMILE_CLIENT_SECRET = env.str("SMILE_CLIENT_SECRET", default="")
SMILE_WEBHOOK_SECRET = env.str("SMILE_WEBHOOK_SECRET", default="")
SMILE_WEBHOOK_SECRET_PREVIOUS = env.str("SMILE_WEBHOOK_SECRET_PREVIOUS", default="")
SMILE_TEMPLATE_ID = env.str("SMILE_TEMPLATE_ID", default="")
# How the client retries a failed call: attempts in all, and the first backoff in seconds
# (doubling, with jitter). Not environment settings: tune them here if Smile asks.
SMILE_MAX_ATTEMPTS = 4
SMILE_RETRY_BACKOFF = 0.5
SMILE_TIMEOUT = (5.0, 30.0)  # seconds to connect, and to wait for an answer

INVITE_TTL_DAYS = env.int("INVITE_TTL_DAYS", default=7)
INVITE_REMINDER_DAYS = env.int("INVITE_REMINDER_DAYS", default=3)
LENDER_NAME = env.str("LENDER_NAME", default="Verification Portal")

# --- Background jobs (django-q2) ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# A task may run for Q_TIMEOUT seconds; a task a dead worker took is handed out again after
# Q_RETRY seconds (ORM broker), so Q_RETRY must exceed Q_TIMEOUT or a slow sync runs twice.
Q_TIMEOUT = env.int("Q_TIMEOUT", default=300)
Q_RETRY = env.int("Q_RETRY", default=Q_TIMEOUT + 60)
if Q_RETRY <= Q_TIMEOUT:
    raise ImproperlyConfigured(f"Q_RETRY ({Q_RETRY}) must be longer than Q_TIMEOUT ({Q_TIMEOUT}).")
Q_CLUSTER = {
    "name": "verification_portal",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": Q_TIMEOUT,
    "retry": Q_RETRY,
    "max_attempts": 3,
    "save_limit": 1000,
    "catch_up": False,
    "label": "Background jobs",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Rate limits (django-ratelimit) count in the default cache, which must be shared by every
# web process: Redis when REDIS_URL is set. Without it each process counts alone, which is
# right for `make run` (one process) and the reason production is told to set REDIS_URL.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # A cache outage must not become a portal outage (see RATELIMIT_FAIL_OPEN).
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# LocMemCache (no REDIS_URL) is what our own verifications.W003 is about.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_VIEW = "verifications.views.rate_limited"
# How many reverse proxies in front of gunicorn append the client's address to
# X-Forwarded-For (README, "Deploy"): the per-address limits and the address stored with each
# webhook take the entry the outermost of them wrote. 0 trusts no header: REMOTE_ADDR it is.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT} "
        "(the number of proxies in front of the portal that set X-Forwarded-For)."
    )
RATELIMIT_IP_META_KEY = "verifications.client_ip.client_ip"
# If the cache is down, serve unthrottled rather than fail every request: Smile's webhooks
# must still be stored, and /healthz must still say what is wrong.
RATELIMIT_FAIL_OPEN = True

# --- Verification workflow ------------------------------------------------------------------
SYNC_REFRESH_HOURS = env.int("SYNC_REFRESH_HOURS", default=24 * 7)
# Data older than this is "stale": flagged on the history page, and approving needs a note.
DATA_STALE_DAYS = env.int("DATA_STALE_DAYS", default=30)
# Gaps between jobs longer than this many months are marked, and flag the applicant.
HISTORY_GAP_MONTHS = env.int("HISTORY_GAP_MONTHS", default=3)
# Months after a month's end before its contribution counts as missing. Philippine SSS lets
# employers remit until the end of the following month, hence 1; 0 makes a month due as soon
# as it ends.
CONTRIBUTION_GRACE_MONTHS = env.int("CONTRIBUTION_GRACE_MONTHS", default=1)
if not 0 <= CONTRIBUTION_GRACE_MONTHS <= 12:
    raise ImproperlyConfigured(
        f"CONTRIBUTION_GRACE_MONTHS must be between 0 and 12, not {CONTRIBUTION_GRACE_MONTHS} "
        "(the months after a month's end before its missing contribution is flagged)."
    )
# The reason codes reviewers choose from, per outcome. Override with a JSON object in
# DECISION_REASONS, e.g. {"approve": {"verified": "Verified"}, "reject": {...}, ...}.
# The outcomes are Decision.Outcome's values (a test keeps the two lists equal).
DECISION_OUTCOMES = ("approve", "reject", "request_info")


def _decision_reasons(reasons: object) -> dict[str, dict[str, str]]:
    """Refuse a DECISION_REASONS the review pages cannot use, saying what is wrong.

    Every outcome needs at least one reason: without one, that outcome could never be chosen.
    """
    if not isinstance(reasons, dict):
        problems = [f"it is a JSON {type(reasons).__name__}, not an object"]
    else:
        problems = [
            f"it lacks {outcome!r}" for outcome in DECISION_OUTCOMES if outcome not in reasons
        ]
        problems += [
            f"{key!r} is not an outcome" for key in reasons if key not in DECISION_OUTCOMES
        ]
        for outcome, choices in reasons.items():
            if not isinstance(choices, dict) or not choices:
                problems.append(f"{outcome!r} must map reason codes to labels, not {choices!r}")
                continue
            problems += [
                f"{outcome!r} has an unusable reason {code!r}: {label!r} (a code is 1 to 50 "
                "characters, its label a non-empty text)"
                for code, label in choices.items()
                if not code.strip() or len(code) > 50 or not isinstance(label, str) or not label
            ]
    if problems:
        raise ImproperlyConfigured(
            f"DECISION_REASONS is not usable: {'; '.join(problems)}. Expected an object with "
            f"the outcomes {', '.join(DECISION_OUTCOMES)}, each mapping reason codes to labels, "
            'e.g. {"approve": {"verified": "Verified"}, "reject": {...}, "request_info": {...}}.'
        )
    return reasons


_DEFAULT_DECISION_REASONS = {
    "approve": {
        "verified": "Identity and employment verified",
        "verified_with_exceptions": "Verified, with exceptions explained in the note",
    },
    "reject": {
        "identity_mismatch": "Identity does not match what was stated",
        "insufficient_employment": "Employment history insufficient",
        "contributions_unpaid": "Social-security contributions not paid",
        "suspected_fraud": "Suspected fraud",
        "withdrawn": "Applicant withdrew",
    },
    "request_info": {
        "connect_another_account": "Connect another account",
        "explain_gap": "Explain a gap in employment",
        "identity_document": "Provide an identity document",
    },
}
# Text that is not JSON at all is refused by _Env, naming the variable.
DECISION_REASONS = _decision_reasons(
    env.json("DECISION_REASONS", default=_DEFAULT_DECISION_REASONS)
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_errors": {"()": "verification_portal.log_filters.ClientErrorsWithoutTraceback"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) would print each of its lines twice.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # django-q2 logs every scheduled run at INFO; its warnings and errors are what matter.
        "django-q": {"level": "WARNING"},
    },
}
