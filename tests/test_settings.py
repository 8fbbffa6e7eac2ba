"""Settings come from the environment; production refuses to start half-configured."""

import json
import os
import subprocess
import sys

import pytest

from tests.processes import ROOT

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "d9Jx2-q8vLr4TnZ0aWp6YcHs3EuK7mBf1GoNi5XtRbVy-ePzQl",
    "ALLOWED_HOSTS": "portal.example.com",
    "SITE_URL": "https://portal.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}

SHOW = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db": settings.DATABASES["default"],
    "q": settings.Q_CLUSTER,
    "smile": [settings.SMILE_API_URL, settings.SMILE_LINK_API_URL, settings.SMILE_WINK_SCRIPT_URL],
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "email": settings.EMAIL_BACKEND,
    "invite_ttl": settings.INVITE_TTL_DAYS,
}, default=str))
"""


def run_python(code: str, **variables: str) -> subprocess.CompletedProcess:
    # A clean environment: only what the test gives, so nothing leaks in from the machine.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "verification_portal.settings",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def settings_with(**variables: str) -> dict:
    result = run_python(SHOW, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def manage_py(*args: str, **variables: str) -> subprocess.CompletedProcess:
    return run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        f"execute_from_command_line(['manage.py', *{list(args)!r}])",
        **variables,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python(SHOW, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_mode_has_safe_local_defaults():
    found = settings_with(DEBUG="true")
    assert found["debug"] is True
    assert found["hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    assert found["db"]["ENGINE"] == "django.db.backends.sqlite3"
    assert found["db"]["NAME"].endswith("db.sqlite3")
    assert found["email"] == "django.core.mail.backends.console.EmailBackend"
    assert found["invite_ttl"] == 7


def test_sqlite_is_configured_for_a_web_process_and_a_worker_sharing_it():
    options = settings_with(DEBUG="true")["db"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] == 20


def test_any_database_url_works():
    url = "postgres://alice:pw@db.internal:6432/portal"
    db = settings_with(**{**PRODUCTION, "DATABASE_URL": url})["db"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.internal",
        6432,
        "portal",
        "alice",
    )


def test_a_bad_database_url_is_refused_with_a_clear_message():
    result = run_python(SHOW, **{**PRODUCTION, "DATABASE_URL": "nosuchdb://somewhere/x"})
    assert result.returncode != 0
    assert "DATABASE_URL is not a database URL Django understands" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("INVITE_TTL_DAYS", "a week", "INVITE_TTL_DAYS cannot be read as a whole number"),
        ("Q_TIMEOUT", "1.5", "Q_TIMEOUT cannot be read as a whole number"),
        ("DECISION_REASONS", "{approve", "DECISION_REASONS cannot be read as JSON"),
    ],
)
def test_a_value_that_cannot_be_read_names_its_variable(name, value, expected):
    result = run_python(SHOW, **{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {expected}" in result.stderr


def test_a_database_url_with_a_bad_port_is_refused_without_echoing_the_password():
    url = "postgres://alice:hunter2-secret@db.internal:sixty/portal"
    result = run_python(SHOW, **{**PRODUCTION, "DATABASE_URL": url})
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL cannot be read (is the port a number?)" in (
        result.stderr
    )
    assert "hunter2-secret" not in result.stderr


@pytest.mark.parametrize(
    ("mode", "api", "link"),
    [
        ("sandbox", "https://sandbox.smileapi.io/v1", "https://link-sandbox.smileapi.io/v1"),
        ("production", "https://open.smileapi.io/v1", "https://link.smileapi.io/v1"),
    ],
)
def test_smile_mode_picks_the_default_hosts(mode, api, link):
    smile = settings_with(**PRODUCTION, SMILE_MODE=mode)["smile"]
    assert smile == [api, link, "https://web.smileapi.io/v2/smile.v2.js"]


def test_smile_hosts_can_be_pointed_elsewhere():
    smile = settings_with(
        **PRODUCTION,
        SMILE_API_URL="http://127.0.0.1:8765/v1/",
        SMILE_LINK_API_URL="http://127.0.0.1:8765/link/v1",
        SMILE_WINK_SCRIPT_URL="http://127.0.0.1:8765/v2/smile.v2.js",
    )["smile"]
    assert smile == [
        "http://127.0.0.1:8765/v1",
        "http://127.0.0.1:8765/link/v1",
        "http://127.0.0.1:8765/v2/smile.v2.js",
    ]


def test_an_unknown_smile_mode_is_refused():
    result = run_python(SHOW, **PRODUCTION, SMILE_MODE="live")
    assert result.returncode != 0
    assert "SMILE_MODE must be 'sandbox' or 'production'" in result.stderr


@pytest.mark.parametrize("value", ["-1", "13"])
def test_a_contribution_grace_outside_0_to_12_months_is_refused(value):
    result = run_python(SHOW, **PRODUCTION, CONTRIBUTION_GRACE_MONTHS=value)
    assert result.returncode != 0
    assert f"CONTRIBUTION_GRACE_MONTHS must be between 0 and 12, not {value}" in result.stderr


def test_the_orm_broker_is_the_default_and_redis_is_used_when_configured():
    orm = settings_with(**{**PRODUCTION, "REDIS_URL": ""})["q"]
    assert orm["orm"] == "default"
    assert "redis" not in orm
    assert orm["timeout"] < orm["retry"]

    redis = settings_with(**{**PRODUCTION, "REDIS_URL": "redis://cache.internal:6379/2"})["q"]
    assert redis["redis"] == "redis://cache.internal:6379/2"
    assert "orm" not in redis


def test_the_deploy_check_is_clean_with_production_settings():
    result = manage_py("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deploy_check_asks_for_redis_so_rate_limits_are_shared():
    without_redis = {**PRODUCTION, "REDIS_URL": ""}
    result = manage_py("check", "--deploy", **without_redis)
    assert "verifications.W003" in result.stderr


@pytest.mark.parametrize(
    "site_url", [None, "http://portal.example.com", "https://127.0.0.1:8000", "https://localhost"]
)
def test_the_deploy_check_refuses_a_site_url_applicants_cannot_open(site_url):
    variables = {k: v for k, v in PRODUCTION.items() if k != "SITE_URL"}
    if site_url:
        variables["SITE_URL"] = site_url
    result = manage_py("check", "--deploy", **variables)
    assert "verifications.W004" in result.stderr
    assert "invite emails would carry links applicants cannot open" in result.stderr


def test_production_mode_warns_when_smile_credentials_are_missing():
    result = manage_py("check", **PRODUCTION, SMILE_MODE="production")
    assert "verifications.W001" in result.stderr
    assert "verifications.W002" in result.stderr

    configured = manage_py(
        "check",
        **PRODUCTION,
        SMILE_MODE="production",
        SMILE_CLIENT_ID="id",
        SMILE_CLIENT_SECRET="secret",
        SMILE_WEBHOOK_SECRET="whsec",
    )
    assert "verifications.W00" not in configured.stderr + configured.stdout


def test_sandbox_mode_does_not_nag_about_credentials():
    result = manage_py("check", **PRODUCTION)
    assert "verifications.W00" not in result.stderr + result.stdout


def test_task_timeouts_come_from_the_environment_and_retry_must_exceed_timeout():
    q = settings_with(**{**PRODUCTION, "Q_TIMEOUT": "30"})["q"]
    assert (q["timeout"], q["retry"]) == (30, 90)
    result = run_python(SHOW, **PRODUCTION, Q_TIMEOUT="60", Q_RETRY="60")
    assert result.returncode != 0
    assert "Q_RETRY (60) must be longer than Q_TIMEOUT (60)" in result.stderr


def test_email_comes_from_one_url():
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, "
        "settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER)"
    )
    result = run_python(code, **PRODUCTION, EMAIL_URL="smtp+tls://mailer:pw@smtp.example.com:587")
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "True",
        "mailer",
    ]


LOG_A_REFUSAL_AND_A_CRASH = """
import django
django.setup()
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseForbidden, HttpResponseServerError
from django.test import RequestFactory
from django.utils.log import log_response

request = RequestFactory().get("/admin/auth/group/")
for response, error in ((HttpResponseForbidden(), PermissionDenied()),
                        (HttpResponseServerError(), ZeroDivisionError("boom"))):
    try:
        raise error
    except Exception as exc:
        log_response("Answered %s", response.status_code, response=response,
                     request=request, exception=exc)
"""


def test_a_refused_page_is_one_log_line_and_a_crash_keeps_its_traceback():
    result = run_python(LOG_A_REFUSAL_AND_A_CRASH, DEBUG="true")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert sum("Answered 403" in line for line in lines) == 1
    assert sum("Answered 500" in line for line in lines) == 1
    assert result.stderr.count("Traceback") == 1
    assert "ZeroDivisionError: boom" in result.stderr
    assert "PermissionDenied" not in result.stderr
