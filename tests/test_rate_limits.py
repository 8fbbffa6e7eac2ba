"""Public endpoints are rate-limited: the admin login, /healthz, Smile's webhook (and /connect/)."""

import hashlib
import hmac
import json
import uuid

import pytest
from django.conf import settings

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


def _webhook(client, body: bytes, signature: str):
    return client.post(
        "/webhooks/smile/", body, content_type="application/json", HTTP_SMILE_SIGNATURE=signature
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
