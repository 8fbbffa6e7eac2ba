"""Public endpoints are rate-limited: the admin login, /healthz, Smile's webhook and /connect/,
per client address, also behind the reverse proxy (TRUSTED_PROXY_COUNT)."""

import hashlib
import hmac
import json
import uuid

import pytest
from django.conf import settings
from django.test import Client

from tests.test_settings import PRODUCTION, run_python
from verifications.client_ip import client_ip
from verifications.models import WebhookEvent, WebhookRejection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_rate_limit_window")]


def test_password_guessing_on_one_user_name_is_slowed_down(client, rita):
    statuses = [
        client.post("/admin/login/", {"username": "rita", "password": f"guess-{n}"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [200] * 10  # the form again, with "enter a correct username…"
    assert statuses[10] == 429
    # The right password is refused too while the limit holds: guessing gains nothing.
    assert (
        client.post("/admin/login/", {"username": "rita", "password": "pw-rita"}).status_code == 429
    )


def test_guessing_many_user_names_from_one_address_is_slowed_down(client, db):
    statuses = [
        client.post("/admin/login/", {"username": f"user{n}", "password": "x"}).status_code
        for n in range(21)
    ]
    assert statuses[-1] == 429 and statuses.count(429) == 1


def test_logging_in_still_works(client, rita):
    response = client.post("/admin/login/", {"username": "rita", "password": "pw-rita"})
    assert response.status_code == 302


def test_healthz_is_rate_limited_per_address(client, db):
    statuses = [client.get("/healthz").status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429


def _webhook(client, body: bytes, signature: str, **headers):
    return client.post(
        "/webhooks/smile/",
        body,
        content_type="application/json",
        HTTP_SMILE_SIGNATURE=signature,
        **headers,
    )


def _event() -> bytes:
    return json.dumps(
        {
            "id": f"et-{uuid.uuid4().hex}",
            "version": 1,
            "type": "USER_CREATED",
            "createdAt": "2026-11-28T10:00:00Z",
            "data": {"userId": "sandbox-" + "0" * 32},
        }
    ).encode()


def _signed(body: bytes) -> str:
    return hmac.new(settings.SMILE_WEBHOOK_SECRET.encode(), body, hashlib.sha512).hexdigest()


def test_webhooks_refused_for_their_signature_are_rate_limited_per_address(client, caplog):
    statuses = [_webhook(client, _event(), "0" * 128).status_code for _ in range(61)]
    assert statuses[:60] == [401] * 60 and statuses[60] == 429
    # Past the limit, a refusal writes neither a counter nor a log line per request.
    assert WebhookRejection.objects.get(reason="bad_signature").count == 60
    assert sum("too many refused" in r.getMessage() for r in caplog.records) == 1
    # Smile's own signed events from the same address are still stored.
    body = _event()
    assert _webhook(client, body, _signed(body)).status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_signed_webhooks_are_never_throttled_so_a_burst_from_smile_is_not_lost(client):
    # Smile sends every event from one address and resends a refused one only twice; signed
    # events do not spend the budget that refusals have.
    bodies = [_event() for _ in range(100)]
    assert {_webhook(client, body, _signed(body)).status_code for body in bodies} == {200}
    statuses = [_webhook(client, _event(), "0" * 128).status_code for _ in range(61)]
    assert statuses[:60] == [401] * 60 and statuses[60] == 429
    assert WebhookEvent.objects.count() == 100


# --- Behind the TLS proxy README's "Deploy" prescribes ----------------------------------------

PROXY = "10.0.0.1"  # every request reaches gunicorn from the proxy's address


def _connect_page(client, xff: str | None = None) -> int:
    # An unknown invite each time: only the per-address budget is shared between requests.
    headers = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    return client.get(f"/connect/unknown-{uuid.uuid4().hex}/", **headers).status_code


def test_behind_a_trusted_proxy_each_applicant_has_their_own_connect_budget(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR=PROXY)
    statuses = [_connect_page(proxy, "203.0.113.7") for _ in range(121)]
    assert statuses[:120] == [404] * 120 and statuses[120] == 429
    # Someone else, through the same proxy, is not locked out by the first one.
    assert _connect_page(proxy, "198.51.100.9") == 404


def test_without_a_trusted_proxy_x_forwarded_for_is_not_believed(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    proxy = Client(REMOTE_ADDR=PROXY)
    # A new made-up address on every request buys nothing: the connection's address counts.
    statuses = [_connect_page(proxy, f"203.0.113.{n}") for n in range(121)]
    assert statuses[:120] == [404] * 120 and statuses[120] == 429


def test_addresses_a_client_adds_in_front_of_the_proxys_entry_are_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR=PROXY)
    # The proxy appends the address it saw; whatever the client sent stays to the left of it.
    statuses = [_connect_page(proxy, f"192.0.2.{n % 250}, 203.0.113.7") for n in range(121)]
    assert statuses[:120] == [404] * 120 and statuses[120] == 429


@pytest.mark.parametrize(
    ("trusted", "remote", "xff", "expected"),
    [
        (0, "10.0.0.1", "203.0.113.7", "10.0.0.1"),
        (1, "10.0.0.1", "203.0.113.7", "203.0.113.7"),
        (1, "10.0.0.1", "192.0.2.66, 203.0.113.7", "203.0.113.7"),
        (2, "10.0.0.2", "192.0.2.66, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
        (1, "10.0.0.1", "2001:db8::7", "2001:db8::7"),
        # Fewer entries than trusted proxies: it went around one; no entry is believed.
        (2, "10.0.0.2", "203.0.113.7", "10.0.0.2"),
        (1, "10.0.0.1", None, "10.0.0.1"),
        # Not an address where our proxy writes one: a misconfiguration, not a client.
        (1, "10.0.0.1", "192.0.2.66, unknown", "10.0.0.1"),
    ],
)
def test_the_client_address_is_the_entry_the_outermost_trusted_proxy_wrote(
    settings, rf, trusted, remote, xff, expected
):
    settings.TRUSTED_PROXY_COUNT = trusted
    headers = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    assert client_ip(rf.get("/", REMOTE_ADDR=remote, **headers)) == expected


def test_a_webhook_behind_the_proxy_is_stored_with_the_senders_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    body = _event()
    response = _webhook(
        Client(REMOTE_ADDR=PROXY), body, _signed(body), HTTP_X_FORWARDED_FOR="18.142.61.230"
    )
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.remote_ip == "18.142.61.230"
    assert event.headers["X-Forwarded-For"] == "18.142.61.230"


def test_behind_the_proxy_one_senders_refusals_do_not_spend_anothers_budget(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR=PROXY)

    def refused(sender: str) -> int:
        return _webhook(proxy, _event(), "0" * 128, HTTP_X_FORWARDED_FOR=sender).status_code

    statuses = [refused("203.0.113.7") for _ in range(61)]
    assert statuses[:60] == [401] * 60 and statuses[60] == 429
    assert refused("198.51.100.9") == 401


def test_a_negative_proxy_count_refuses_to_start():
    result = run_python("import django; django.setup()", **PRODUCTION, TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr
