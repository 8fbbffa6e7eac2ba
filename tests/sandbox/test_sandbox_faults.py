"""Fault modes fire exactly as often as asked, then clear."""

from __future__ import annotations

import time

import pytest
import requests
from sandbox_support import Api

from smile_sandbox.testing import start_sandbox


def test_rate_limit_answers_429_with_retry_after_then_recovers(sandbox, api):
    sandbox.set_faults(rate_limit={"count": 2, "retry_after": 3})
    first, second, third = (api.get("/providers") for _ in range(3))
    for reply in (first, second):
        assert reply.status == 429
        assert reply.body["code"] == "REQUEST_LIMIT_EXCEEDED"
        assert reply.headers["Retry-After"] == "3"
    assert third.status == 200
    assert sandbox.faults == {}


@pytest.mark.parametrize(("asked", "header"), [(0.5, "1"), (2.25, "3"), (2, "2"), (0, "0")])
def test_retry_after_is_whole_seconds_rounded_up(sandbox, api, asked, header):
    """HTTP's Retry-After is whole seconds: half a second asks for one, never for none."""
    sandbox.set_faults(rate_limit={"count": 1, "retry_after": asked})
    reply = api.get("/providers")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == header


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "SERVER_ERROR"), (503, "SERVER_UNAVAILABLE"), (504, "TIME_LIMIT_EXCEEDED")],
)
def test_server_errors_fire_count_times(sandbox, api, status, code):
    sandbox.set_faults(errors={"count": 2, "status": status})
    replies = [api.get("/providers") for _ in range(3)]
    assert [reply.status for reply in replies] == [status, status, 200]
    assert replies[0].body["code"] == code


def test_slow_delays_only_the_counted_calls(sandbox, api):
    sandbox.set_faults(slow={"seconds": 0.4, "count": 1})
    started = time.monotonic()
    assert api.get("/providers").status == 200
    slow = time.monotonic() - started
    started = time.monotonic()
    api.get("/providers")
    fast = time.monotonic() - started
    assert slow >= 0.4
    assert fast < slow - 0.2


@pytest.mark.parametrize(
    ("kind", "provider", "check"),
    [
        ("contributions", "sss_ph", lambda item: item["amount"] == "abc"),
        ("employments", "sss_ph", lambda item: item["startDate"] == "2021-13-45"),
        ("identities", "sss_ph", lambda item: "id" not in item),
        ("incomes", "upwork", lambda item: item["grossAmount"] == "abc"),
        ("eincomes", "sss_ph", lambda item: item["amount"] == "abc"),
    ],
)
def test_malformed_spoils_one_record_of_the_next_page(
    sandbox, api, validator, george, kind, provider, check
):
    account = sandbox.connect(george["userId"], provider, "george", "123456")
    sandbox.set_faults(malformed={"kind": kind, "count": 1})
    spoiled = api.get(f"/{kind}", sourceId=account["id"])
    clean = api.get(f"/{kind}", sourceId=account["id"])
    assert check(spoiled.data["items"][0])
    assert spoiled.data["items"][1:] == clean.data["items"][1:]
    assert not check(clean.data["items"][0])
    # The spoiled page is what a parser must survive: it does not validate.
    assert validator.errors(validator.response_pointer("GET", f"/{kind}", 200), spoiled.body), (
        "the malformed record should break the schema"
    )
    assert sandbox.records(account["id"])[kind][0] == clean.data["items"][0]


def test_malformed_on_another_kind_leaves_this_one_alone(sandbox, api, george):
    sandbox.set_faults(malformed={"kind": "incomes", "count": 1, "field": "amount"})
    reply = api.get("/contributions", sourceId=george["account"]["id"])
    assert isinstance(reply.data["items"][0]["amount"], int)
    assert sandbox.faults["malformed"]["count"] == 1


def test_faults_are_managed_over_http(sandbox, api):
    admin = sandbox.base_url + "/_sandbox/faults"
    reply = requests.post(admin, json={"errors": {"count": 1, "status": 503}}, timeout=5)
    assert reply.status_code == 200
    assert reply.json()["data"] == {"errors": {"count": 1, "status": 503}}
    assert requests.get(admin, timeout=5).json()["data"] == {"errors": {"count": 1, "status": 503}}
    # Admin calls are not Open API calls: the fault is still armed.
    assert api.get("/providers").status == 503
    requests.post(admin, json={"rate_limit": {"count": 5}}, timeout=5)
    assert requests.delete(admin, timeout=5).status_code == 200
    assert requests.get(admin, timeout=5).json()["data"] == {}
    assert api.get("/providers").status == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"errors": {"count": 1, "status": 502}},
        {"rate_limit": {"count": 0}},
        {"malformed": {"kind": "transactions"}},
        {"teleport": True},
        {"reorder_webhooks": "yes"},
    ],
)
def test_a_nonsense_fault_is_refused(sandbox, spec):
    reply = requests.post(sandbox.base_url + "/_sandbox/faults", json=spec, timeout=5)
    assert reply.status_code == 400
    assert reply.json()["code"] == "INVALID_PARAMETERS"
    assert sandbox.faults == {}


def test_faults_can_be_set_at_start():
    with start_sandbox(faults={"errors": {"count": 1, "status": 504}}) as running:
        api = Api(running.api_url)
        assert api.get("/providers").status == 504
        assert api.get("/providers").status == 200


def test_the_link_api_and_widget_script_are_not_faulted(sandbox):
    sandbox.set_faults(errors={"count": 1, "status": 500})
    assert requests.get(sandbox.script_url, timeout=5).status_code == 200
    assert requests.get(sandbox.link_api_url + "/session", timeout=5).status_code == 401
    assert sandbox.faults == {"errors": {"count": 1, "status": 500}}
