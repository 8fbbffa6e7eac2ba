"""The Link API the widget calls with the user token, and the admin endpoints around it."""

from __future__ import annotations

import pytest
import requests
from sandbox_support import GEORGE_CONTRIBUTIONS


@pytest.fixture
def link(sandbox, api):
    """A user, its token, and a requests session that speaks to the Link API with it."""
    created = api.post("/users", {}).data
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + created["token"]["accessToken"]
    session.user_id = created["user"]["id"]
    session.url = sandbox.link_api_url
    return session


def test_preflight_allows_any_origin_with_authorization(sandbox):
    reply = requests.options(
        sandbox.link_api_url + "/accounts",
        headers={
            "Origin": "http://portal.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=5,
    )
    assert reply.status_code == 204
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    allowed = reply.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]


def test_the_session_names_the_user_and_providers(link):
    reply = link.get(link.url + "/session", timeout=5)
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    data = reply.json()["data"]
    assert data["userId"] == link.user_id
    assert data["mode"] == "SANDBOX"
    names = {provider["id"]: provider["name"] for provider in data["providers"]}
    assert names["sss_ph"] == "Social Security System (SSS)"
    assert names["upwork"] == "Upwork"
    assert data["accounts"] == []


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic abc"])
def test_an_unknown_token_is_invalid_token(sandbox, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    reply = requests.get(sandbox.link_api_url + "/session", headers=headers, timeout=5)
    assert reply.status_code == 401
    assert reply.json()["code"] == "INVALID_TOKEN"
    assert reply.headers["Access-Control-Allow-Origin"] == "*"  # the widget can read the 401


def test_an_expired_token_is_invalid_token(sandbox, link):
    assert link.get(link.url + "/session", timeout=5).status_code == 200
    assert link.get(link.url + "/accounts", timeout=5).status_code == 200
    reply = requests.post(sandbox.base_url + "/_sandbox/tokens/expire", timeout=5)
    assert reply.json()["data"]["expired"] >= 1
    expired = link.get(link.url + "/accounts", timeout=5)
    assert expired.status_code == 401
    assert expired.json()["code"] == "INVALID_TOKEN"
    assert "expired" in expired.json()["message"]


def test_a_token_opens_one_widget_only(sandbox, api, link):
    """User tokens are single use (smile-api.md): one launch, then mint a fresh one."""
    assert link.get(link.url + "/session", timeout=5).status_code == 200
    # The widget that launched keeps working with its token...
    body = {"providerId": "grab", "login": "george", "password": "123456"}
    assert link.post(link.url + "/accounts", json=body, timeout=5).status_code == 201
    # ...but a second launch gets what an expired token gets, so onTokenExpired fires.
    again = link.get(link.url + "/session", timeout=5)
    assert again.status_code == 401
    assert again.json()["code"] == "INVALID_TOKEN"
    assert "already opened the widget" in again.json()["message"]
    fresh = api.post("/tokens", userId=link.user_id).data["accessToken"]
    reopened = requests.get(
        link.url + "/session", headers={"Authorization": "Bearer " + fresh}, timeout=5
    )
    assert reopened.status_code == 200
    assert [account["providerId"] for account in reopened.json()["data"]["accounts"]] == ["grab"]


def test_the_accounts_list_holds_the_users_accounts_only(sandbox, api, link):
    sandbox.connect(api.create_user(), "grab", "george", "123456")
    mine = sandbox.connect(link.user_id, "sss_ph", "george", "123456")
    reply = link.get(link.url + "/accounts", timeout=5)
    assert reply.status_code == 200
    assert reply.json()["data"]["accounts"] == [api.get(f"/accounts/{mine['id']}").data]


def test_login_then_code_connects_the_account(sandbox, api, link):
    created = link.post(
        link.url + "/accounts",
        json={"providerId": "sss_ph", "login": "GEORGE", "password": "123456"},
        timeout=5,
    )
    assert created.status_code == 201
    account = created.json()["data"]["account"]
    assert account["connectionStatus"] == "AWAITING_MFA"
    assert account["userId"] == link.user_id
    wrong = link.post(f"{link.url}/accounts/{account['id']}/mfa", json={"code": "0000"}, timeout=5)
    assert wrong.json()["data"]["account"]["connection"]["errorCode"] == "INVALID_MFA"
    right = link.post(f"{link.url}/accounts/{account['id']}/mfa", json={"code": "1234"}, timeout=5)
    assert right.json()["data"]["account"]["connectionStatus"] == "CONNECTED"
    assert api.get(f"/accounts/{account['id']}").data["connectionStatus"] == "CONNECTED"
    pages = api.pages("/contributions", sourceId=account["id"], size=150)
    assert [len(page.data["items"]) for page in pages] == [150, GEORGE_CONTRIBUTIONS - 150]
    types = [event["type"] for event in sandbox.events]
    assert types.count("ACCOUNT_CREATED") == 1
    assert types.count("ACCOUNT_FAILED") == 1
    assert types[-1] == "TASK_FINISHED"


def test_a_wrong_password_leaves_the_account_in_error(link):
    reply = link.post(
        link.url + "/accounts",
        json={"providerId": "upwork", "login": "ryan1234@smileapi.io", "password": "123456"},
        timeout=5,
    )
    account = reply.json()["data"]["account"]
    assert account["connectionStatus"] == "ERROR"
    assert account["connection"]["errorCode"] == "INVALID_CREDENTIALS"
    mfa = link.post(f"{link.url}/accounts/{account['id']}/mfa", json={"code": "1234"}, timeout=5)
    assert mfa.status_code == 400


def test_trying_again_reuses_the_account(sandbox, link):
    body = {"providerId": "grab", "login": "christina", "password": "ygus1"}
    first = link.post(link.url + "/accounts", json=body, timeout=5)
    body["password"] = "YGUS1"
    second = link.post(link.url + "/accounts", json=body, timeout=5)
    # 201 and created: true only for the login that created the account (onAccountCreated).
    assert (first.status_code, first.json()["data"]["created"]) == (201, True)
    assert (second.status_code, second.json()["data"]["created"]) == (200, False)
    account = second.json()["data"]["account"]
    assert first.json()["data"]["account"]["id"] == account["id"]
    assert account["connectionStatus"] == "AWAITING_MFA"
    assert [event["type"] for event in sandbox.events].count("ACCOUNT_CREATED") == 1


def test_missing_fields_are_invalid_parameters(link):
    reply = link.post(link.url + "/accounts", json={"providerId": "grab"}, timeout=5)
    assert reply.status_code == 400
    unknown = {"providerId": "myspace", "login": "george", "password": "123456"}
    assert link.post(link.url + "/accounts", json=unknown, timeout=5).status_code == 404


def test_a_user_revokes_only_their_own_accounts(sandbox, api, link):
    other = api.create_user()
    theirs = sandbox.connect(other, "grab", "george", "123456")
    assert link.delete(f"{link.url}/accounts/{theirs['id']}", timeout=5).status_code == 404
    mine = sandbox.connect(link.user_id, "grab", "george", "123456")
    reply = link.delete(f"{link.url}/accounts/{mine['id']}", timeout=5)
    assert reply.json()["data"]["account"]["connectionStatus"] == "DISCONNECTED"
    assert api.get(f"/accounts/{mine['id']}").status == 404


def test_admin_connect_and_records(sandbox, api):
    user_id = api.create_user()
    reply = requests.post(
        sandbox.base_url + "/_sandbox/connect",
        json={"userId": user_id, "providerId": "upwork", "login": "anisha", "password": "123456"},
        timeout=5,
    )
    account = reply.json()["data"]["account"]
    assert account["connectionStatus"] == "CONNECTED"
    records = requests.get(
        sandbox.base_url + "/_sandbox/records", params={"sourceId": account["id"]}, timeout=5
    ).json()["data"]
    assert set(records) == {"identities", "employments", "incomes"}
    served = [
        item
        for page in api.pages("/incomes", sourceId=account["id"], size=5)
        for item in page.data["items"]
    ]
    assert records["incomes"] == served
    assert records == sandbox.records(account["id"])


def test_admin_connect_with_a_wrong_code(sandbox, api):
    user_id = api.create_user()
    reply = requests.post(
        sandbox.base_url + "/_sandbox/connect",
        json={
            "userId": user_id,
            "providerId": "sss_ph",
            "login": "george",
            "password": "123456",
            "code": "9999",
        },
        timeout=5,
    )
    assert reply.json()["data"]["account"]["connection"]["errorCode"] == "INVALID_MFA"


def test_the_widget_files_are_served(sandbox):
    script = requests.get(sandbox.script_url, timeout=5)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "window.SmileLinkModal" in script.text
    css = requests.get(sandbox.base_url + "/v2/smile.v2.css", timeout=5)
    assert css.headers["Content-Type"].startswith("text/css")
