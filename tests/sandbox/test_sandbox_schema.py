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


def test_token_errors_validate_as_post_tokens_documents_them(validator, api):
    missing = api.post("/tokens")
    unknown = api.post("/tokens", userId="sandbox-" + "f" * 32)
    assert (missing.status, missing.body["code"]) == (400, "INVALID_PARAMETERS")
    assert (unknown.status, unknown.body["code"]) == (404, "MISSING_RESOURCE")
    for reply in (missing, unknown):
        validator.check_response("POST", "/tokens", reply)


def _account(everyone, user_index: int, provider: str) -> dict:
    users = list(dict.fromkeys(account["userId"] for account in everyone))
    return next(
        account
        for account in everyone
        if account["userId"] == users[user_index] and account["providerId"] == provider
    )


def _listed(validator, api, path: str, **params) -> list[dict]:
    """Every item of a filtered list, each page (cursor and filters together) validated."""
    items = []
    for reply in api.pages(path, **params):
        assert reply.status == 200, reply.body
        validator.check_response("GET", path, reply)
        items += reply.data["items"]
    return items


def _between(start: str, end: str) -> dict[str, str]:
    return {"startDate": start, "endDate": end}


def test_filtered_record_lists_validate_and_hold_only_what_was_asked(validator, api, everyone):
    sss, upwork = _account(everyone, 0, "sss_ph"), _account(everyone, 0, "upwork")

    paid_2020 = _listed(
        validator, api, "/contributions", sourceId=sss["id"], **_between("2020-01-01", "2020-12-31")
    )
    assert [item["date"][:7] for item in paid_2020] == [f"2020-{m:02}" for m in range(1, 13)]

    jobs = _listed(
        validator, api, "/employments", sourceId=sss["id"], **_between("2014-01-01", "2016-12-31")
    )
    assert [job["employer"] for job in jobs] == ["Pasig Savings Bank"]  # the only one then

    june = _listed(
        validator, api, "/incomes", sourceId=upwork["id"], **_between("2021-06-01", "2021-06-30")
    )
    assert june and all(
        item["startDate"] <= "2021-06-30" and item["endDate"] >= "2021-06-01" for item in june
    )
    assert {item["employer"] for item in june} == {"Northwind Traders LLC", "Bayanihan Digital Co."}

    half_year = _listed(
        validator, api, "/eincomes", sourceId=sss["id"], startMonth="2025-01", endMonth="2025-06"
    )
    assert [item["month"] for item in half_year] == [f"2025-{m:02}" for m in range(1, 7)]

    by_user = _listed(validator, api, "/identities", userId=sss["userId"], size=2)
    assert len(by_user) == 4  # George's four accounts, one identity each
    assert {item["metadata"]["userId"] for item in by_user} == {sss["userId"]}


def test_filtered_users_accounts_and_providers_validate(validator, api, everyone):
    user_id = everyone[0]["userId"]
    accounts = _listed(validator, api, "/accounts", userId=user_id, size=3)
    assert {account["userId"] for account in accounts} == {user_id}
    assert len(accounts) == 4
    created = everyone[0]["createdAt"][:10]
    users = _listed(validator, api, "/users", startDate=created, endDate=created, size=3)
    assert len(users) == 4
    assert _listed(validator, api, "/users", endDate="2001-12-31") == []

    chosen = _listed(validator, api, "/providers", ids="upwork,grab", topIds="grab")
    assert [provider["id"] for provider in chosen] == ["grab", "upwork"]
    gig = _listed(validator, api, "/providers", type=chosen[0]["type"])
    assert gig and {provider["type"] for provider in gig} == {chosen[0]["type"]}


def _foreign_cursor(api, everyone) -> str:
    """A real cursor, but from a list with other filters."""
    sss = _account(everyone, 0, "sss_ph")
    return api.get("/contributions", sourceId=sss["id"], size=1).data["nextCursor"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/contributions", {"cursor": "garbage!!"}),
        ("/contributions", {"cursor": "eyJvIjotNSwiZiI6IngifQ"}),  # {"o":-5,"f":"x"}
        ("/employments", {"cursor": "FOREIGN"}),
        ("/contributions", {"cursor": "FOREIGN", "startDate": "2020-01-01"}),
        ("/users", {"startDate": "2020-13-01"}),
        ("/users", {"endDate": "2020-02-30"}),
        ("/accounts", {"startDate": "yesterday"}),
        ("/contributions", {"startDate": "2020-1-1"}),
        ("/incomes", {"endDate": "2021-06-31"}),
        ("/eincomes", {"startMonth": "2025-13"}),
        ("/eincomes", {"endMonth": "2025-01-01"}),
        ("/providers", {"cursor": "garbage!!"}),
    ],
)
def test_bad_cursors_and_dates_are_400_as_each_list_documents(
    validator, api, everyone, path, params
):
    if params.get("cursor") == "FOREIGN":
        params = {**params, "cursor": _foreign_cursor(api, everyone)}
        if "startDate" not in params:
            params["sourceId"] = _account(everyone, 0, "sss_ph")["id"]
    reply = api.get(path, **params)
    assert (reply.status, reply.body["code"]) == (400, "INVALID_PARAMETERS"), reply.body
    validator.check_response("GET", path, reply)
