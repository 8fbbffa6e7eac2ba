"""`/healthz` answers 200 with the oldest queued task's age, 503 when a dependency is down."""

import datetime
import socket

import pytest
import requests
from django.utils import timezone
from django_q.models import OrmQ
from django_q.tasks import async_task

from tests.processes import gunicorn, manage, portal_env


@pytest.mark.django_db
def test_healthy_with_an_empty_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "queue": "ok",
        "oldest_queued_task_age_s": 0.0,
    }


@pytest.mark.django_db
def test_reports_how_long_the_oldest_task_has_waited(client):
    async_task("math.floor", 1.5)
    async_task("math.floor", 2.5)
    # Nobody works the queue in this test: make the first task look ten minutes old.
    first = OrmQ.objects.order_by("id").first()
    OrmQ.objects.filter(pk=first.pk).update(lock=timezone.now() - datetime.timedelta(minutes=10))

    body = client.get("/healthz").json()
    assert 599 <= body["oldest_queued_task_age_s"] <= 605


@pytest.mark.django_db
def test_a_task_a_worker_has_taken_does_not_count_as_waiting(client):
    async_task("math.floor", 1.5)
    OrmQ.objects.update(lock=timezone.now() + datetime.timedelta(minutes=5))
    assert client.get("/healthz").json()["oldest_queued_task_age_s"] == 0.0


def test_unhealthy_when_the_database_is_unreachable():
    env = portal_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    with gunicorn(env) as base_url:
        response = requests.get(base_url + "/healthz", timeout=10)
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def _redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def test_unhealthy_when_the_redis_broker_is_unreachable(tmp_path):
    env = portal_env(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", REDIS_URL="redis://127.0.0.1:1/0"
    )
    with gunicorn(env) as base_url:
        response = requests.get(base_url + "/healthz", timeout=10)
    assert response.status_code == 503
    assert response.json()["queue"] == "unreachable"


@pytest.mark.skipif(not _redis_is_up(), reason="needs Redis on 127.0.0.1:6379")
def test_reads_the_oldest_task_from_the_redis_broker(tmp_path):
    import redis

    env = portal_env(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", REDIS_URL="redis://127.0.0.1:6379/15"
    )
    redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    manage(
        "shell",
        "-c",
        "from django_q.tasks import async_task; async_task('math.floor', 1.5)",
        env=env,
    )
    try:
        with gunicorn(env) as base_url:
            body = requests.get(base_url + "/healthz", timeout=10).json()
    finally:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    assert body["status"] == "ok"
    assert 0 < body["oldest_queued_task_age_s"] < 60


@pytest.mark.django_db
def test_a_plain_http_probe_is_answered_while_pages_redirect_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    login = client.get("/admin/login/")
    assert login.status_code == 301 and login.url.startswith("https://")
