"""Every Open API answer and webhook validates against Smile's own OpenAPI spec.

The validator tolerates the spec's known flaws (see conftest.with_known_flaws_tolerated);
the sandbox itself follows smile-api.md where the two disagree.
"""

from __future__ import annotations

import pytest

STANDARD_ERRORS = "/components/responses/Standard-Errors/content/application~1json/schema"
KINDS = ("identities", "employments", "contributions", "incomes", "eincomes")
EVENT_SCHEMAS = {
    "USER_CREATED": "UserCreatedEvent",
    "ACCOUNT_CREATED": "AccountCreatedEvent",
    "ACCOUNT_CONNECTED": "AccountConnectedEvent",
    "ACCOUNT_DISCONNECTED": "AccountDisconnectedEvent",
    "ACCOUNT_FAILED": "AccountFailedEvent",
    "TASK_STARTED": "TaskStartedEvent",
    "TASK_FINISHED": "TaskFinishedEvent",
    "ACCOUNT_SYNC_TASK_FINISHED": "AccountSyncTaskFinishedEvent",
    "IDENTITY_ADDED": "IdentityAddedEvent",
    "EMPLOYMENTS_ADDED": "EmploymentsAddedEvent",
    "CONTRIBUTIONS_ADDED": "ContributionsAddedEvent",
    "INCOMES_ADDED": "IncomesAddedEvent",
    "EINCOMES_ADDED": "EincomesAddedEvent",
}


@pytest.fixture
def everyone(sandbox, api):
    """All four people connected on the providers where they have a history."""
    accounts = []
    for login, password, providers in (
        ("george", "123456", ("sss_ph", "upwork", "grab", "nbi_ph")),
        ("ryan", "654321", ("upwork", "freelancer", "199jobs")),
        ("christina", "YGUS1", ("sss_ph", "grab", "199jobs")),
        ("anisha", "123456", ("freelancer", "upwork")),
    ):
        user_id = api.create_user(person=login)
        for provider in providers:
            account = sandbox.connect(user_id, provider, login, password)
            assert account["connectionStatus"] == "CONNECTED", account
            accounts.append(account)
    return accounts


@pytest.mark.parametrize("kind", KINDS)
def test_every_record_validates_in_lists_and_alone(validator, api, everyone, kind):
    seen = 0
    for account in everyone:
        for reply in api.pages(f"/{kind}", sourceId=account["id"], size=7):
            assert reply.status == 200
            validator.check_response("GET", f"/{kind}", reply)
            for item in reply.data["items"]:
                single = api.get(f"/{kind}/{item['id']}")
                validator.check_response("GET", f"/{kind}/{{id}}", single)
                assert single.data == item
                seen += 1
    assert seen > 10, f"too few {kind} to prove anything"


def test_users_tokens_accounts_and_providers_validate(validator, api, everyone):
    user_id = everyone[0]["userId"]
    created = api.post("/users", {"externalMetadata": {"a": "b"}})
    validator.check_response("POST", "/users", created)
    validator.check_response("GET", "/users", api.get("/users", size=2))
    validator.check_response("GET", "/users/{id}", api.get(f"/users/{user_id}"))
    validator.check_response("POST", "/tokens", api.post("/tokens", userId=user_id))
    for reply in api.pages("/accounts", size=4):
        validator.check_response("GET", "/accounts", reply)
    validator.check_response("GET", "/accounts/{id}", api.get(f"/accounts/{everyone[0]['id']}"))
    validator.check_response("GET", "/providers", api.get("/providers"))
    validator.check_response("GET", "/providers/{id}", api.get("/providers/upwork"))
    deleted = api.delete(f"/accounts/{everyone[-1]['id']}")
    assert deleted.status == 200
    validator.check_response("DELETE", "/accounts/{id}", deleted)
    assert "data" not in deleted.body  # CommonResponse: code, message, requestId


def test_an_account_in_error_validates(validator, sandbox, api):
    user_id = api.create_user()
    account = sandbox.connect(user_id, "upwork", "ryan", "123456")
    reply = api.get(f"/accounts/{account['id']}")
    assert reply.data["connection"]["errorCode"] == "INVALID_CREDENTIALS"
    validator.check_response("GET", "/accounts/{id}", reply)


def test_error_answers_validate(validator, sandbox, api):
    answers = [
        api.get("/contributions", size=0),
        api.get("/users/nobody"),
        api.request("PUT", "/users"),
        api.request("POST", "/users", data=b"a=b", headers={"Content-Type": "text/plain"}),
        api.without_auth("GET", "/users", headers={"Authorization": "Bearer x"}),
        api.request("GET", "/users", auth=("sandbox-client-id", "wrong")),
    ]
    for status in (500, 503, 504):
        sandbox.set_faults(errors={"count": 1, "status": status})
        answers.append(api.get("/providers"))
    sandbox.set_faults(rate_limit={"count": 1})
    answers.append(api.get("/providers"))
    statuses = sorted(reply.status for reply in answers)
    assert statuses == [400, 400, 401, 404, 415, 429, 500, 501, 503, 504]
    for reply in answers:
        errors = validator.errors(STANDARD_ERRORS, reply.body)
        assert not errors, (reply.status, errors)


def test_every_webhook_validates_against_its_event_schema(validator, sandbox, api, everyone):
    user_id = api.create_user()
    sandbox.connect(user_id, "sss_ph", "george", "nope")
    sss = next(account for account in everyone if account["providerId"] == "sss_ph")
    sandbox.refresh(sss["id"])
    api.delete(f"/accounts/{everyone[1]['id']}")
    events = sandbox.events
    assert {event["type"] for event in events} == set(EVENT_SCHEMAS)
    for event in events:
        validator.check(EVENT_SCHEMAS[event["type"]], event)
