"""The sandbox's payloads, field for field, against the examples in the spec and smile-api.md."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

from sandbox_support import GEORGE_CONTRIBUTIONS

HEX32 = r"[0-9a-f]{32}"


def example(spec, path: str, status: str = "200"):
    content = spec["paths"][path]["get"]["responses"][status]["content"]["application/json"]
    return content["examples"]["Example"]["value"]


def test_every_answer_has_the_envelope(api):
    reply = api.get("/providers/sss_ph")
    assert list(reply.body) == ["code", "message", "requestId", "data"]
    assert reply.body["code"] == "OK"
    assert reply.body["message"] == "Success"
    assert uuid.UUID(reply.body["requestId"]).version == 4
    assert reply.headers["Content-Type"].startswith("application/json")


def test_errors_have_the_envelope_with_empty_data(api):
    reply = api.get("/users/sandbox-00000000000000000000000000000000")
    assert reply.status == 404
    assert list(reply.body) == ["code", "message", "requestId", "data"]
    assert reply.body["code"] == "MISSING_RESOURCE"
    assert reply.body["data"] == {}
    assert "sandbox-00000000000000000000000000000000" in reply.body["message"]


def test_georges_identity_is_the_spec_example(spec, api, george):
    seed = example(spec, "/identities")["data"]["items"][0]
    reply = api.get("/identities", sourceId=george["account"]["id"])
    [identity] = reply.data["items"]

    assert list(identity) == list(seed), "same fields in the same order as the spec example"
    for name in seed:
        if name not in ("id", "referenceId", "emails", "phones", "metadata"):
            assert identity[name] == seed[name], name
    assert re.fullmatch("i-" + HEX32, identity["id"])
    assert identity["referenceId"] == "3300000008"  # his SS number on sss_ph
    assert identity["emails"] == [
        *seed["emails"],
        {"address": "gpalomero1234@smileapi.io", "type": "Secondary"},
    ]
    assert identity["phones"] == [*seed["phones"], {"number": "+639559991234", "type": "Mobile"}]
    assert identity["metadata"] == {
        "itemCreatedAt": identity["metadata"]["createdAt"],
        "createdAt": identity["metadata"]["createdAt"],
        "sourceId": george["account"]["id"],
        "sourceType": "ACCOUNT",
        "userId": george["userId"],
        "providerId": "sss_ph",
    }


def test_georges_identity_elsewhere_keeps_the_example_reference(spec, sandbox, george):
    seed = example(spec, "/identities")["data"]["items"][0]
    account = sandbox.connect(george["userId"], "upwork", "George", "123456")
    [identity] = sandbox.records(account["id"])["identities"]
    assert identity["referenceId"] == seed["referenceId"] == "george"
    assert identity["fullName"] == "George Cimafranca Palomero, Jr"


def test_an_employment_has_the_spec_shape(spec, api, george):
    seed = example(spec, "/employments")["data"]["items"][0]
    items = [
        item
        for reply in api.pages("/employments", sourceId=george["account"]["id"])
        for item in reply.data["items"]
    ]
    current = items[-1]
    assert set(seed) <= set(current)
    assert set(current) - set(seed) == {"employerNumber", "reportedDate"}  # in the schema
    assert re.fullmatch("e-" + HEX32, current["id"])
    assert current["employer"] == "Archipelago Logistics Inc."
    assert current["status"] == "Permanent"
    assert current["startDate"] == "2019-11-04"
    assert current["endDate"] is None


def test_a_contribution_has_the_spec_shape(spec, api, george):
    seed = example(spec, "/contributions")["data"]["items"][0]
    [first] = api.get("/contributions", sourceId=george["account"]["id"], size=1).data["items"]
    assert list(first) == list(seed)
    assert re.fullmatch("con-" + HEX32, first["id"])
    assert first["date"] == "2002-01-31"
    assert first["currency"] == "PHP"
    # 8.4% of the PHP 11,000 salary credit at Luzon Telecom, as the 2002 schedule had it.
    assert first["amount"] == 924 and isinstance(first["amount"], int)
    assert re.fullmatch(r"PR[0-9A-F]{7}", first["referenceId"])


def test_an_income_has_the_spec_shape(spec, sandbox, api, george):
    seed = example(spec, "/incomes")["data"]["items"][0]
    account = sandbox.connect(george["userId"], "grab", "george", "123456")
    [income] = api.get("/incomes", sourceId=account["id"], size=1).data["items"]
    assert list(income) == list(seed)
    assert re.fullmatch("inc-" + HEX32, income["id"])
    assert income["frequency"] == "Semimonthly"
    assert income["startDate"] == "2024-11-01" and income["endDate"] == "2024-11-15"
    assert income["grossAmount"] > income["netAmount"] > 0


def test_an_estimated_income_has_amount_and_its_deprecated_twin(api, george):
    [eincome] = api.get("/eincomes", sourceId=george["account"]["id"], size=1).data["items"]
    assert list(eincome) == ["id", "month", "currency", "amount", "baseAmount", "metadata"]
    assert re.fullmatch("einc-" + HEX32, eincome["id"])
    assert eincome["month"] == "2023-11"
    assert eincome["amount"] == eincome["baseAmount"] == 26000


def test_a_user_and_token_have_the_spec_shape(api):
    before = time.time()
    reply = api.post("/users", {"externalMetadata": {"applicant": "APP-42"}})
    assert reply.status == 201
    user, token = reply.data["user"], reply.data["token"]
    assert re.fullmatch("sandbox-" + HEX32, user["id"])
    assert user["externalMetadata"] == {"applicant": "APP-42"}
    assert user["providers"] == []
    assert user["createdAt"].endswith("Z")
    assert list(token) == ["id", "expiresAt", "mode", "accessToken"]
    assert re.fullmatch("tk-" + HEX32, token["id"])
    assert token["mode"] == "SANDBOX"
    expires = datetime.strptime(token["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(expires.timestamp() - before - 5 * 3600) < 60


def test_an_account_has_the_spec_shape(spec, api, george):
    seed = example(spec, "/accounts")["data"]["items"][1]
    reply = api.get(f"/accounts/{george['account']['id']}")
    account = reply.data
    assert list(account) == list(seed)
    assert re.fullmatch("a-" + HEX32, account["id"])
    assert account["userId"] == george["userId"]
    assert account["providerId"] == "sss_ph"
    assert account["connectionStatus"] == "CONNECTED"
    assert account["connection"]["status"] == "CONNECTED"
    assert account["connection"]["errorCode"] is None
    assert account["monitorStatus"] == account["monitor"]["status"] == "ACTIVE"


def test_webhook_bodies_carry_the_fields_smile_api_lists(sandbox, george):
    events = sandbox.events
    by_type = {event["type"]: event for event in events}
    for event in events:
        assert list(event) == ["id", "version", "type", "createdAt", "data"]
        assert re.fullmatch("et-" + HEX32, event["id"])
        assert event["version"] == 1
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["createdAt"])
    account_id, user_id = george["account"]["id"], george["userId"]
    base = {"userId": user_id, "accountId": account_id, "providers": ["sss_ph"]}
    assert by_type["USER_CREATED"]["data"] == {"userId": user_id}
    assert by_type["ACCOUNT_CREATED"]["data"] == base
    assert by_type["ACCOUNT_CONNECTED"]["data"] == {**base, "loginName": "george"}
    identity_id = sandbox.records(account_id)["identities"][0]["id"]
    assert by_type["IDENTITY_ADDED"]["data"] == {**base, "identityId": identity_id}
    assert by_type["CONTRIBUTIONS_ADDED"]["data"] == {**base, "count": GEORGE_CONTRIBUTIONS}
    task = {
        "userId": user_id,
        "sourceId": account_id,
        "sourceType": "ACCOUNT",
        "taskType": "LINK_ACCOUNT",
        "providers": ["sss_ph"],
    }
    assert by_type["TASK_STARTED"]["data"] == task
    assert by_type["TASK_FINISHED"]["data"] == {
        **task,
        "status": "SUCCEEDED",
        "errorCode": None,
        "datapoints": ["IDENTITIES", "EMPLOYMENTS", "CONTRIBUTIONS", "EINCOMES"],
    }


def test_a_failed_login_is_announced_with_its_error(sandbox, api):
    user_id = api.create_user()
    account = sandbox.connect(user_id, "sss_ph", "george", "wrong")
    assert account["connectionStatus"] == "ERROR"
    assert account["connection"]["errorCode"] == "INVALID_CREDENTIALS"
    failed = [event for event in sandbox.events if event["type"] == "ACCOUNT_FAILED"]
    assert [event["data"] for event in failed] == [
        {
            "userId": user_id,
            "accountId": account["id"],
            "providers": ["sss_ph"],
            "loginName": "george",
            "errorCode": "INVALID_CREDENTIALS",
            "errorMessage": "The login or password is incorrect.",
        }
    ]
