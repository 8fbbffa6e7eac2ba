"""Linking an account: login, verification code, revocation and the monthly refresh.

The widget (through the Link API) and `POST /_sandbox/connect` both come here, so a test
without a browser sees exactly what a person in the widget would cause. Records are stored
before any event about them is published: a webhook handler that fetches at once finds them.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from smile_sandbox import records
from smile_sandbox.people import MFA_CODE, PEOPLE, authenticate
from smile_sandbox.providers import ADDED_EVENTS, DATAPOINTS, PROVIDERS
from smile_sandbox.sandbox import Sandbox
from smile_sandbox.web import ApiError
from smile_sandbox.webhooks import make_event, utc_now

INVALID_CREDENTIALS = "The login or password is incorrect."
INVALID_MFA = "The verification code is incorrect."


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{name} is required.")
    return value


def _owned_account(sandbox: Sandbox, account_id: str, user_id: str | None) -> dict[str, Any]:
    """The stored state of an account (caller holds the lock); 404 when not this user's."""
    state = sandbox.store.accounts.get(account_id)
    if state is None or (user_id is not None and state["account"]["userId"] != user_id):
        raise ApiError(404, f"Account {account_id} does not exist.")
    return state


def login(
    sandbox: Sandbox, *, user_id: str, provider_id: str, login: Any, password: Any
) -> tuple[dict[str, Any], bool]:
    """Create (or reuse) the user's account on the provider and check the credentials.

    Returns the account and whether this login created it (the widget's onAccountCreated
    fires once per account, not again when a wrong password is retried).
    """
    login = _text(login, "login")
    password = _text(password, "password")
    if sandbox.store.user(user_id) is None:
        raise ApiError(404, f"User {user_id} does not exist.")
    if provider_id not in PROVIDERS:
        raise ApiError(404, f"Provider {provider_id} does not exist.")
    person = authenticate(login, password)
    providers = [provider_id]
    with sandbox.store.change() as store:
        # One account per user and provider: logging in again retries the same account.
        state = next(
            (
                state
                for state in store.accounts.values()
                if state["account"]["userId"] == user_id
                and state["account"]["providerId"] == provider_id
            ),
            None,
        )
        created = state is None
        if state is None:
            state = {"account": sandbox.new_account(user_id, provider_id)}
            store.accounts[state["account"]["id"]] = state
        account = state["account"]
        state["loginName"] = login.strip()
        state["person"] = person.key if person else None
        if person is None:
            sandbox.set_status(account, "ERROR", "INVALID_CREDENTIALS", INVALID_CREDENTIALS)
        else:
            sandbox.set_status(account, "AWAITING_MFA")
        snapshot = copy.deepcopy(account)
    base = {"userId": user_id, "accountId": snapshot["id"], "providers": providers}
    if created:
        sandbox.webhooks.publish([make_event("ACCOUNT_CREATED", dict(base))])
    if person is None:
        sandbox.webhooks.publish([_failed_event(base, state["loginName"], snapshot)])
    sandbox.sync_user_providers(user_id)
    return snapshot, created


def _failed_event(base: dict[str, Any], login_name: str, account: dict[str, Any]) -> dict:
    connection = account["connection"]
    return make_event(
        "ACCOUNT_FAILED",
        {
            **base,
            "loginName": login_name,
            "errorCode": connection["errorCode"],
            "errorMessage": connection["errorMessage"],
        },
    )


def verify(
    sandbox: Sandbox, *, account_id: str, code: Any, user_id: str | None = None
) -> dict[str, Any]:
    """Check the verification code; `1234` connects the account and generates its records."""
    code = _text(code, "code").strip()
    with sandbox.store.change() as store:
        state = _owned_account(sandbox, account_id, user_id)
        account = state["account"]
        retrying = (
            account["connectionStatus"] == "ERROR"
            and account["connection"]["errorCode"] == "INVALID_MFA"
        )
        if account["connectionStatus"] != "AWAITING_MFA" and not retrying:
            raise ApiError(400, "The account is not waiting for a verification code.")
        owner = account["userId"]
        provider_id = account["providerId"]
        base = {"userId": owner, "accountId": account_id, "providers": [provider_id]}
        if code != MFA_CODE:
            sandbox.set_status(account, "ERROR", "INVALID_MFA", INVALID_MFA)
            snapshot = copy.deepcopy(account)
            events = [_failed_event(base, state["loginName"], snapshot)]
        else:
            sandbox.set_status(account, "CONNECTED")
            generated = records.generate(
                PEOPLE[state["person"]],
                provider_id,
                account_id=account_id,
                user_id=owner,
                today=sandbox.today(),
                created_at=utc_now(),
            )
            store.records[account_id] = generated
            snapshot = copy.deepcopy(account)
            events = _connection_events(base, state["loginName"], generated)
    sandbox.webhooks.publish(events)
    sandbox.sync_user_providers(owner)
    return snapshot


def _connection_events(
    base: dict[str, Any], login_name: str, generated: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    task = {
        "userId": base["userId"],
        "sourceId": base["accountId"],
        "sourceType": "ACCOUNT",
        "taskType": "LINK_ACCOUNT",
        "providers": base["providers"],
    }
    events = [
        make_event("ACCOUNT_CONNECTED", {**base, "loginName": login_name}),
        make_event("TASK_STARTED", dict(task)),
    ]
    datapoints = []
    for kind, items in generated.items():
        if not items:
            continue  # Smile announces what it found, not what it looked for
        datapoints.append(DATAPOINTS[kind])
        if kind == "identities":
            events += [
                make_event("IDENTITY_ADDED", {**base, "identityId": item["id"]}) for item in items
            ]
        else:
            events.append(make_event(ADDED_EVENTS[kind], {**base, "count": len(items)}))
    events.append(
        make_event(
            "TASK_FINISHED",
            {**task, "status": "SUCCEEDED", "errorCode": None, "datapoints": datapoints},
        )
    )
    return events


def revoke(sandbox: Sandbox, *, account_id: str, user_id: str | None = None) -> dict[str, Any]:
    """Delete the account and its records (Smile keeps nothing), then say so by webhook."""
    with sandbox.store.change() as store:
        state = _owned_account(sandbox, account_id, user_id)
        account = state["account"]
        del store.accounts[account_id]
        store.records.pop(account_id, None)
        sandbox.set_status(account, "DISCONNECTED")
    event = make_event(
        "ACCOUNT_DISCONNECTED",
        {
            "userId": account["userId"],
            "accountId": account_id,
            "providers": [account["providerId"]],
        },
    )
    sandbox.webhooks.publish([event])
    sandbox.sync_user_providers(account["userId"])
    return account


def refresh(sandbox: Sandbox, *, account_id: str) -> dict[str, Any]:
    """Smile's monthly continuous sync: the next month's contribution, then the sync event."""
    with sandbox.store.change() as store:
        state = _owned_account(sandbox, account_id, None)
        account = state["account"]
        if account["connectionStatus"] != "CONNECTED":
            raise ApiError(400, "Only a connected account can be refreshed.")
        existing = store.records.setdefault(account_id, {})
        if "contributions" not in existing:
            raise ApiError(400, f"{account['providerId']} has no contributions to refresh.")
        contributions = existing["contributions"]
        if contributions:
            latest = max(contributions, key=lambda record: record["date"])["date"]
            month = records.add_months(date.fromisoformat(latest), 1)
        else:
            month = records.last_complete_month(sandbox.today())
        now = utc_now()
        metadata = {
            "itemCreatedAt": now,
            "createdAt": now,
            "sourceId": account_id,
            "sourceType": "ACCOUNT",
            "userId": account["userId"],
            "providerId": account["providerId"],
        }
        added = records.contribution(
            PEOPLE[state["person"]], month, account_id=account_id, metadata=metadata
        )
        if added is not None:
            contributions.append(added)
        account["monitor"]["updatedAt"] = now
        snapshot = copy.deepcopy(account)
    base = {
        "userId": snapshot["userId"],
        "accountId": account_id,
        "providers": [snapshot["providerId"]],
    }
    events = []
    if added is not None:
        events.append(make_event("CONTRIBUTIONS_ADDED", {**base, "count": 1}))
    events.append(
        make_event(
            "ACCOUNT_SYNC_TASK_FINISHED",
            {
                "userId": snapshot["userId"],
                "sourceId": account_id,
                "sourceType": "ACCOUNT",
                "taskType": "UPDATE_ACCOUNT",
                "providers": base["providers"],
                "status": "SUCCEEDED",
                "errorCode": None,
                "monitorStatus": snapshot["monitorStatus"],
                "datapoints": ["CONTRIBUTIONS"] if added is not None else [],
            },
        )
    )
    sandbox.webhooks.publish(events)
    return {"account": snapshot, "added": {"contributions": [added] if added else []}}
