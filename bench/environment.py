"""The settings every benchmark runs the portal with, for child processes and in-process Django.

Production-shaped (DEBUG=false) with bench-only secrets; each benchmark names its own database.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POSTGRES = "postgres://postgres@127.0.0.1:5432"
# Database 7 is the benchmarks' own (0 is `make e2e-postgres`, 15 the tests'): flushed freely.
REDIS_URL = "redis://127.0.0.1:6379/7"
WEBHOOK_SECRET = "bench-webhook-secret"
SMILE_CLIENT_ID = "sandbox-client-id"
SMILE_CLIENT_SECRET = "sandbox-client-secret"
DEMO_PASSWORD = "bench-password-1"
LOG_FILE = Path(tempfile.gettempdir()) / "bench-portal.log"


def database_url(name: str) -> str:
    return f"{POSTGRES}/{name}"


def portal_env(database: str, **overrides: str) -> dict[str, str]:
    """Environment for a portal process (gunicorn, manage.py) on database `database`."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-5b1f0c9e7d3a4b6c8e2f1a0d9c7b5e3f1a2c4e6d8b0a9f7e",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url(database),
        "SMILE_MODE": "sandbox",
        "SMILE_CLIENT_ID": SMILE_CLIENT_ID,
        "SMILE_CLIENT_SECRET": SMILE_CLIENT_SECRET,
        "SMILE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "EMAIL_URL": "consolemail://",
        "LOG_LEVEL": "INFO",
        "BENCH_LOG_FILE": str(LOG_FILE),
    }
    env.pop("REDIS_URL", None)  # only where a benchmark asks for it
    env.update(overrides)
    return env


def setup_django(database: str, **overrides: str) -> None:
    """Configure this process for `database` and start Django (once per process)."""
    import django

    os.environ.update(portal_env(database, **overrides))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    django.setup()
