"""What the webhook tests share: George connecting in the sandbox, Smile sending more events,
and the check that our rows are exactly the sandbox's records."""

from __future__ import annotations

import copy
from typing import Any

from smile_sandbox.webhooks import make_event
from tests.queue import run_queued_tasks
from verifications.models import Contribution, Employment, EstimatedIncome, Identity, Income

RECORD_MODELS = {
    "identities": Identity,
    "employments": Employment,
    "contributions": Contribution,
    "incomes": Income,
    "eincomes": EstimatedIncome,
}


def connect(sandbox, applicant, provider="sss_ph", password="123456", code="1234"):
    """George logs in at a provider in the sandbox; returns the account and its events."""
    before = len(sandbox.events)
    account = sandbox.connect(applicant.smile_user.smile_id, provider, "george", password, code)
    return account, sandbox.events[before:]


def delivered(sandbox, copies: int = 1) -> list[dict]:
    """The delivery log once every event published so far is done.

    The USER_CREATED of the `george` fixture went out once, before any fault was set.
    """
    return sandbox.wait_for_deliveries(1 + copies * (len(sandbox.events) - 1))


def settle(sandbox) -> None:
    """Every event Smile published so far is delivered, and the worker has done its work."""
    delivered(sandbox)
    run_queued_tasks()


def smile_sends(sandbox, event_type: str, **data: Any) -> dict[str, Any]:
    """Smile sends one more event, signed and delivered by the sandbox like its own.

    For the events the sandbox has no flow of its own for (a failed data task, *_UPDATED).
    """
    event = make_event(event_type, data)
    sandbox.sandbox.webhooks.publish([event])
    return event


def smile_changes(sandbox, account_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    """Smile corrects the first record of a kind (what an *_UPDATED event announces)."""
    with sandbox.sandbox.store.change() as store:
        record = store.records[account_id][kind][0]
        record.update(fields)
        return copy.deepcopy(record)


def assert_stored_equals_sandbox(sandbox, account_id: str) -> None:
    """Nothing lost, nothing duplicated: our rows are exactly the sandbox's records."""
    expected = sandbox.records(account_id)
    for kind, model in RECORD_MODELS.items():
        stored = model.objects.filter(account__smile_id=account_id)
        assert sorted(stored.values_list("smile_id", flat=True)) == sorted(
            item["id"] for item in expected.get(kind, [])
        ), kind
        for record in stored:
            assert record.raw == next(
                item for item in expected[kind] if item["id"] == record.smile_id
            )
