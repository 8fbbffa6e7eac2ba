"""Real processes for the end-to-end journey: migrate, seed, sandbox, gunicorn, qcluster."""

import contextlib
import os
import subprocess
import uuid
from urllib.parse import urlsplit

import pytest

from tests.processes import PYTHON, ROOT, free_port, manage, portal_env, wait_for_http


def _fresh_database(url: str, tmp_path) -> str:
    """A new, empty database for this run: a SQLite file, or a PostgreSQL database."""
    if not url:
        return f"sqlite:///{tmp_path}/e2e.sqlite3"
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], log_path) -> subprocess.Popen:
    with open(log_path, "w") as log:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def portal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    mail_dir = tmp / "mail"
    mail_dir.mkdir()
    web_port, sandbox_port = free_port(), free_port()
    base = f"http://localhost:{web_port}"
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    secrets = {
        "SMILE_CLIENT_ID": "e2e-client-id",
        "SMILE_CLIENT_SECRET": "e2e-client-secret",
        "SMILE_WEBHOOK_SECRET": f"e2e-webhook-{uuid.uuid4().hex}",
    }
    env = portal_env(
        DEBUG="false",
        SECRET_KEY=f"e2e-{uuid.uuid4().hex}-{uuid.uuid4().hex}",
        ALLOWED_HOSTS="localhost,127.0.0.1",
        SITE_URL=base,
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=_fresh_database(os.environ.get("E2E_DATABASE_URL", ""), tmp),
        REDIS_URL=os.environ.get("E2E_REDIS_URL", ""),
        EMAIL_URL=f"filemail:///{mail_dir}",
        SMILE_API_URL=sandbox + "/v1",
        SMILE_LINK_API_URL=sandbox + "/link/v1",
        SMILE_WINK_SCRIPT_URL=sandbox + "/v2/smile.v2.js",
        **secrets,
    )
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage("seed_demo", "--password", "e2e-demo-password", "--force", env=env)

    sandbox_args = [PYTHON, "-m", "smile_sandbox", "--port", str(sandbox_port), "--quiet"]
    sandbox_args += ["--webhook-url", f"http://127.0.0.1:{web_port}/webhooks/smile/"]
    web_args = [PYTHON, "-m", "gunicorn", "verification_portal.wsgi"]
    web_args += ["--bind", f"127.0.0.1:{web_port}", "--workers", "2", "--access-logfile", "-"]
    with (
        _process(sandbox_args, env, tmp / "sandbox.log"),
        _process(web_args, env, tmp / "web.log") as web,
        _process([PYTHON, "manage.py", "qcluster"], env, tmp / "worker.log"),
    ):
        wait_for_http(sandbox + "/", process=None)
        wait_for_http(base + "/healthz", process=web)
        yield {"url": base, "mail_dir": mail_dir, "logs": tmp}
