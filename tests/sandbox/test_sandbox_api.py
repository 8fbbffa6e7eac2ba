"""The Open API's behaviour: paging, filters, errors, auth, users, tokens, accounts."""

from __future__ import annotations

import base64

import pytest

KINDS = ("identities", "employments", "contributions", "incomes", "eincomes")


@pytest.fixture
def accounts(sandbox, george):
    """George on sss_ph (from the george fixture), upwork and grab: every kind has records."""
    user_id = george["userId"]
    return [
        george["account"],
        sandbox.connect(user_id, "upwork", "gpalomero1234@smileapi.io", "123456"),
        sandbox.connect(user_id, "grab", "+63 955 999 1234", "123456"),
    ]


@pytest.mark.parametrize("size", [1, 3, 10, 150])
@pytest.mark.parametrize("kind", KINDS)
def test_paging_returns_every_record_once_in_a_stable_order(sandbox, api, accounts, kind, size):
    expected = [
        record for account in accounts for record in sandbox.records(account["id"]).get(kind, [])
    ]
    replies = api.pages(f"/{kind}", userId=accounts[0]["userId"], size=size)
    items = [item for reply in replies for item in reply.data["items"]]
    assert sorted(item["id"] for item in items) == sorted(record["id"] for record in expected)
    assert len({item["id"] for item in items}) == len(items)
    assert all(len(reply.data["items"]) == size for reply in replies[:-1])
    assert "nextCursor" not in replies[-1].data
    again = [
        item
        for reply in api.pages(f"/{kind}", userId=accounts[0]["userId"], size=size)
        for item in reply.data["items"]
    ]
    assert again == items


def test_the_default_page_is_ten_and_lists_page(api, accounts):
    reply = api.get("/contributions", sourceId=accounts[0]["id"])
    assert len(reply.data["items"]) == 10
    assert isinstance(reply.data["nextCursor"], str) and reply.data["nextCursor"]
    for kind, source in (("incomes", accounts[1]), ("eincomes", accounts[0])):
        assert "nextCursor" in api.get(f"/{kind}", sourceId=source["id"]).data


@pytest.mark.parametrize("size", ["0", "151", "-1", "ten", "2.5", ""])
def test_a_bad_size_is_invalid_parameters(api, size):
    reply = api.get("/contributions", size=size)
    assert reply.status == 400
    assert reply.body["code"] == "INVALID_PARAMETERS"
    assert "size" in reply.body["message"]


def test_a_bad_cursor_is_invalid_parameters(api, accounts):
    for cursor in ("garbage!", "eyJvIjoiYSJ9", "bm90IGpzb24"):
        reply = api.get("/contributions", cursor=cursor)
        assert reply.status == 400, cursor
        assert reply.body["code"] == "INVALID_PARAMETERS"


def test_a_cursor_only_works_with_its_own_filters(api, accounts):
    cursor = api.get("/contributions", sourceId=accounts[0]["id"]).data["nextCursor"]
    reply = api.get("/contributions", sourceId=accounts[1]["id"], cursor=cursor)
    assert reply.status == 400
    assert "filters" in reply.body["message"]


def test_filters_by_source_and_its_deprecated_alias(api, accounts):
    by_source = api.pages("/employments", sourceId=accounts[1]["id"])
    by_alias = api.pages("/employments", accountId=accounts[1]["id"])
    assert [r.data for r in by_source] == [r.data for r in by_alias]
    assert {item["metadata"]["providerId"] for item in by_source[0].data["items"]} == {"upwork"}


def test_filters_by_date_range(api, accounts):
    reply = api.get(
        "/contributions", sourceId=accounts[0]["id"], startDate="2023-01-01", endDate="2023-06-30"
    )
    # 2023-03 is George's missed month.
    assert [item["date"] for item in reply.data["items"]] == [
        "2023-01-31",
        "2023-02-28",
        "2023-04-30",
        "2023-05-31",
        "2023-06-30",
    ]
    jobs = api.get(
        "/employments", sourceId=accounts[0]["id"], startDate="2014-01-01", endDate="2014-12-31"
    )
    assert [item["employer"] for item in jobs.data["items"]] == ["Pasig Savings Bank"]
    months = api.get(
        "/eincomes", sourceId=accounts[0]["id"], startMonth="2025-09", endMonth="2025-10"
    )
    assert [item["month"] for item in months.data["items"]] == ["2025-09", "2025-10"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("startDate", "2021-13-45"), ("endDate", "yesterday"), ("startMonth", "2021-13")],
)
def test_a_bad_date_filter_is_invalid_parameters(api, name, value):
    kind = "eincomes" if "Month" in name else "contributions"
    reply = api.get(f"/{kind}", **{name: value})
    assert reply.status == 400
    assert name in reply.body["message"]


def test_unknown_records_are_missing_resource(api):
    for kind in KINDS:
        reply = api.get(f"/{kind}/nothing-here")
        assert reply.status == 404
        assert reply.body["code"] == "MISSING_RESOURCE"


def test_an_unknown_path_is_404_and_an_unsupported_method_501(api):
    assert api.get("/transactions").body["code"] == "MISSING_RESOURCE"
    assert api.get("/transactions").status == 404
    reply = api.request("PATCH", "/accounts/a-1")
    assert reply.status == 501
    assert reply.body["code"] == "UNSUPPORTED_METHOD"


def _basic(value: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer abc"}, {"Authorization": "Basic !!!"}, _basic("no-colon")],
)
def test_a_missing_or_malformed_authorization_is_invalid_token(api, headers):
    reply = api.without_auth("GET", "/providers", headers=headers)
    assert reply.status == 401
    assert reply.body["code"] == "INVALID_TOKEN"


@pytest.mark.parametrize(
    "credentials", ["sandbox-client-id:wrong", "wrong:sandbox-client-secret", ":"]
)
def test_wrong_credentials_are_invalid_credentials(api, credentials):
    reply = api.without_auth("GET", "/providers", headers=_basic(credentials))
    assert reply.status == 400
    assert reply.body["code"] == "INVALID_CREDENTIALS"


def test_credentials_come_from_the_configuration():
    from sandbox_support import Api

    from smile_sandbox.testing import start_sandbox

    with start_sandbox(client_id="portal-key", client_secret="portal-secret") as other:
        assert Api(other.api_url, "portal-key", "portal-secret").get("/providers").status == 200
        assert Api(other.api_url).get("/providers").status == 400


def test_creating_a_user_without_a_body_works(api):
    reply = api.request("POST", "/users")
    assert reply.status == 201
    assert reply.data["user"]["externalMetadata"] == {}


@pytest.mark.parametrize(
    "metadata",
    [
        {str(n): "x" for n in range(6)},
        {"k": 1},
        {"k" * 51: "v"},
        {"k": "v" * 501},
        {"k": "caf\u00e9"},
        ["not", "an", "object"],
    ],
)
def test_external_metadata_limits(api, metadata):
    reply = api.post("/users", {"externalMetadata": metadata})
    assert reply.status == 400
    assert reply.body["code"] == "INVALID_PARAMETERS"


def test_external_metadata_at_the_limits_is_accepted(api):
    metadata = {f"{n}" + "k" * 49: "v" * 500 for n in range(5)}
    reply = api.post("/users", {"externalMetadata": metadata})
    assert reply.status == 201
    assert api.get(f"/users/{reply.data['user']['id']}").data["externalMetadata"] == metadata


def test_a_non_json_body_is_unsupported_type(api):
    reply = api.request("POST", "/users", data=b"<user/>", headers={"Content-Type": "text/xml"})
    assert reply.status == 415
    assert reply.body["code"] == "UNSUPPORTED_TYPE"


def test_broken_json_is_invalid_parameters(api):
    reply = api.request(
        "POST", "/users", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400


def test_tokens_need_an_existing_user(api):
    user_id = api.create_user()
    assert api.post("/tokens").status == 400
    assert api.post("/tokens", userId="sandbox-unknown").status == 404
    first, second = api.post("/tokens", userId=user_id), api.post("/tokens", userId=user_id)
    assert first.status == second.status == 201
    assert first.data["accessToken"] != second.data["accessToken"]


def test_token_lifetime_is_configurable():
    from sandbox_support import Api

    from smile_sandbox.testing import start_sandbox

    with start_sandbox(token_ttl=60) as short:
        api = Api(short.api_url)
        token = api.post("/tokens", userId=api.create_user()).data
        user = api.get("/users", size=1).data["items"][0]
        assert token["expiresAt"] > user["createdAt"]
        from datetime import datetime

        created = datetime.fromisoformat(user["createdAt"].replace("Z", "+00:00"))
        expires = datetime.fromisoformat(token["expiresAt"].replace("Z", "+00:00"))
        assert 55 <= (expires - created).total_seconds() <= 65


def test_users_list_pages_and_shows_connected_providers(api, accounts):
    for _ in range(3):
        api.create_user()
    users = [item for reply in api.pages("/users", size=2) for item in reply.data["items"]]
    assert len(users) == 4
    george = next(user for user in users if user["id"] == accounts[0]["userId"])
    assert george["providers"] == ["grab", "sss_ph", "upwork"]


def test_accounts_are_listed_by_user(api, accounts):
    other = api.create_user()
    mine = api.get("/accounts", userId=accounts[0]["userId"]).data["items"]
    assert [account["id"] for account in mine] == [account["id"] for account in accounts]
    assert api.get("/accounts", userId=other).data == {"items": []}


def test_revoking_an_account_deletes_it_and_its_records(sandbox, api, accounts):
    account_id = accounts[0]["id"]
    reply = api.delete(f"/accounts/{account_id}")
    assert reply.status == 200
    assert reply.body["code"] == "OK"
    assert api.get(f"/accounts/{account_id}").status == 404
    assert api.get("/contributions", sourceId=account_id).data == {"items": []}
    assert api.delete(f"/accounts/{account_id}").status == 404
    disconnected = [e for e in sandbox.events if e["type"] == "ACCOUNT_DISCONNECTED"]
    assert [e["data"]["accountId"] for e in disconnected] == [account_id]


def test_providers_list_filters_and_orders(api):
    everything = api.get("/providers", size=150).data["items"]
    assert {p["id"] for p in everything} >= {
        "sss_ph",
        "upwork",
        "freelancer",
        "grab",
        "nbi_ph",
        "tin_ph",
        "prclicense_ph",
        "199jobs",
    }
    picked = api.get("/providers", ids="grab,sss_ph").data["items"]
    assert sorted(p["id"] for p in picked) == ["grab", "sss_ph"]
    top = api.get("/providers", topIds="tin_ph", size=1).data["items"]
    assert top[0]["id"] == "tin_ph"
    assert api.get("/providers/sss_ph").data["supported"] == [
        "IDENTITIES",
        "EMPLOYMENTS",
        "CONTRIBUTIONS",
        "EINCOMES",
    ]
    assert api.get("/providers/nope").status == 404


def test_root_answers_ready(sandbox):
    import requests

    reply = requests.get(sandbox.base_url + "/", timeout=5)
    assert reply.status_code == 200
    assert reply.json() == {"status": "ready"}
