"""Webhook delivery: signed, in order, retried, and bent by the webhook faults."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket

import requests
from sandbox_support import WEBHOOK_SECRET

from smile_sandbox.testing import start_sandbox

CONNECTION = [
    "ACCOUNT_CONNECTED",
    "TASK_STARTED",
    "IDENTITY_ADDED",
    "EMPLOYMENTS_ADDED",
    "CONTRIBUTIONS_ADDED",
    "EINCOMES_ADDED",
    "TASK_FINISHED",
]


def verify(secret: str, received) -> dict:
    expected = hmac.new(secret.encode(), received.body, hashlib.sha512).hexdigest()
    signature = received.headers["Smile-Signature"]
    assert signature == signature.lower()
    assert hmac.compare_digest(signature, expected)
    return json.loads(received.body)


def test_webhooks_are_signed_and_arrive_in_order(sandbox, api, receiver):
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    user_id = api.create_user()
    account = sandbox.connect(user_id, "sss_ph", "george", "123456")
    received = receiver.wait_for(2 + len(CONNECTION))
    events = [verify(WEBHOOK_SECRET, item) for item in received]
    assert [event["type"] for event in events] == ["USER_CREATED", "ACCOUNT_CREATED", *CONNECTION]
    assert all(item.headers["Content-Type"] == "application/json" for item in received)
    assert {event["data"].get("accountId", account["id"]) for event in events[1:]} == {
        account["id"]
    }
    log = sandbox.wait_for_deliveries(len(events))
    assert [entry["status"] for entry in log] == [200] * len(events)
    assert all(entry["ok"] and entry["final"] and entry["attempt"] == 1 for entry in log)


def test_a_tampered_body_fails_verification(sandbox, api, receiver):
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    api.create_user()
    [received] = receiver.wait_for(1)
    tampered = received.body.replace(b"USER_CREATED", b"USER_DELETED")
    expected = hmac.new(WEBHOOK_SECRET.encode(), tampered, hashlib.sha512).hexdigest()
    assert received.headers["Smile-Signature"] != expected


def test_a_failed_delivery_is_retried(sandbox, api, receiver):
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    receiver.statuses = [500]
    api.create_user()
    log = sandbox.wait_for_deliveries(1)
    assert [(e["attempt"], e["status"], e["ok"], e["final"]) for e in log] == [
        (1, 500, False, False),
        (2, 200, True, True),
    ]
    first, second = receiver.wait_for(2)
    assert first.body == second.body
    assert verify(WEBHOOK_SECRET, second)["type"] == "USER_CREATED"


def test_delivery_gives_up_after_three_attempts(sandbox, api, receiver):
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    receiver.statuses = [503, 500, 502, 500]
    api.create_user()
    api.create_user()
    log = sandbox.wait_for_deliveries(2)
    first_event = [e for e in log if e["eventId"] == log[0]["eventId"]]
    assert [(e["attempt"], e["status"], e["final"]) for e in first_event] == [
        (1, 503, False),
        (2, 500, False),
        (3, 502, True),
    ]
    assert log[-1]["ok"] and log[-1]["attempt"] == 2  # the next event: 500, then 200


def test_a_slow_receiver_times_out_and_gets_the_event_again(receiver):
    with start_sandbox(
        webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET, webhook_timeout=0.3
    ) as sandbox:
        receiver.delays = [1.0]
        sandbox.create_user()
        log = sandbox.wait_for_deliveries(1)
    assert [(entry["attempt"], entry["ok"]) for entry in log] == [(1, False), (2, True)]
    assert "timed out" in log[0]["error"]
    first, second = receiver.wait_for(2)
    assert first.body == second.body


def test_an_unreachable_receiver_is_logged_as_an_error(sandbox, api):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sandbox.configure_webhooks(f"http://127.0.0.1:{port}/hook", WEBHOOK_SECRET)
    api.create_user()
    log = sandbox.wait_for_deliveries(1)
    assert [entry["attempt"] for entry in log] == [1, 2, 3]
    assert all(entry["status"] is None and entry["error"] for entry in log)


def test_without_a_url_events_are_logged_undelivered(sandbox, api):
    api.create_user()
    [entry] = sandbox.wait_for_deliveries(1)
    assert entry["type"] == "USER_CREATED"
    assert entry["ok"] is False
    assert entry["error"] == "no webhook URL configured"


def test_duplicate_webhooks_sends_each_event_n_times(sandbox, api, receiver):
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    sandbox.set_faults(duplicate_webhooks=3)
    api.create_user()
    received = receiver.wait_for(3)
    assert len({item.body for item in received}) == 1
    assert len({json.loads(item.body)["id"] for item in received}) == 1


def drain(sandbox) -> None:
    """Let the events published so far finish (unsent) before pointing webhooks somewhere."""
    sandbox.wait_for_deliveries(len(sandbox.events))


def test_reorder_webhooks_reverses_each_connection(sandbox, api, receiver):
    user_id = api.create_user()
    drain(sandbox)
    sandbox.set_faults(reorder_webhooks=True)
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    sandbox.connect(user_id, "sss_ph", "george", "123456")
    received = receiver.wait_for(1 + len(CONNECTION))
    types = [json.loads(item.body)["type"] for item in received]
    assert types == ["ACCOUNT_CREATED", *reversed(CONNECTION)]


def test_url_and_secret_change_at_run_time(sandbox, api, receiver):
    reply = requests.post(
        sandbox.base_url + "/_sandbox/webhook-config",
        json={"url": receiver.url, "secret": "rotated"},
        timeout=5,
    )
    assert reply.json()["data"] == {"url": receiver.url, "hasSecret": True}
    api.create_user()
    [received] = receiver.wait_for(1)
    assert verify("rotated", received)["type"] == "USER_CREATED"
    sandbox.wait_for_deliveries(1)  # the receiver has it; the sandbox may not have logged it yet
    log = requests.get(sandbox.base_url + "/_sandbox/webhooks", timeout=5).json()["data"]
    assert log["url"] == receiver.url
    assert [entry["type"] for entry in log["deliveries"]] == ["USER_CREATED"]
    assert log["events"][0]["id"] == log["deliveries"][0]["eventId"]


def test_refresh_adds_next_months_contribution(sandbox, api, george, receiver):
    account_id = george["account"]["id"]
    drain(sandbox)
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    reply = requests.post(f"{sandbox.base_url}/_sandbox/accounts/{account_id}/refresh", timeout=5)
    assert reply.status_code == 200
    [added] = reply.json()["data"]["added"]["contributions"]
    assert added["date"] == "2025-11-30"
    assert added["amount"] == 4650
    latest = api.get("/contributions", sourceId=account_id, startDate="2025-11-01").data["items"]
    assert latest == [added]
    events = [verify(WEBHOOK_SECRET, item) for item in receiver.wait_for(2)]
    assert [event["type"] for event in events] == [
        "CONTRIBUTIONS_ADDED",
        "ACCOUNT_SYNC_TASK_FINISHED",
    ]
    assert events[0]["data"]["count"] == 1
    assert events[1]["data"]["monitorStatus"] == "ACTIVE"
    assert events[1]["data"]["datapoints"] == ["CONTRIBUTIONS"]
    second = requests.post(f"{sandbox.base_url}/_sandbox/accounts/{account_id}/refresh", timeout=5)
    assert second.json()["data"]["added"]["contributions"][0]["date"] == "2025-12-31"


def test_only_accounts_with_contributions_refresh(sandbox, api, george):
    account = sandbox.connect(george["userId"], "upwork", "george", "123456")
    reply = requests.post(
        f"{sandbox.base_url}/_sandbox/accounts/{account['id']}/refresh", timeout=5
    )
    assert reply.status_code == 400
