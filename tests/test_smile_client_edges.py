"""The client against answers the sandbox never gives: wrong envelopes, cut-off bodies, odd cursors.

A crafted loopback server (tests/crafted_smile.py) scripts each answer and records each request.
Where the sandbox can produce the situation (a slow Smile), the sandbox is used.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
import requests

from tests.crafted_smile import CraftedSmile, Reply, crafted_smile, envelope, page
from verification_portal import __version__
from verifications.smile import (
    SmileBadResponse,
    SmileClient,
    SmileError,
    SmileInvalidId,
    SmileInvalidParameters,
    SmileNotFound,
    SmileOutcomeUnknown,
    SmileUnavailable,
)
from verifications.smile_records import Kind

USER_ID = "sandbox-" + "1" * 32
ACCOUNT_ID = "a-" + "2" * 32


@pytest.fixture
def crafted() -> Iterator[CraftedSmile]:
    with crafted_smile() as server:
        yield server


@pytest.fixture
def client(crafted) -> Iterator[SmileClient]:
    with SmileClient(
        base_url=crafted.url,
        client_id="edge-id",
        client_secret="edge-secret",
        backoff=0.01,
        max_backoff=0.02,
    ) as client:
        yield client


def user(**fields) -> dict:
    return {
        "id": USER_ID,
        "externalMetadata": {"reference": "LOAN-1"},
        "createdAt": "2024-05-01T10:00:00Z",
        "providers": [],
        **fields,
    }


def token(**fields) -> dict:
    return {
        "id": "tk-" + "3" * 32,
        "expiresAt": "2024-05-01T15:00:00Z",
        "mode": "SANDBOX",
        "accessToken": "a-user-token",
        **fields,
    }


def contribution(number: int, source: str = ACCOUNT_ID) -> dict:
    return {
        "id": f"con-{number:032x}",
        "date": "2024-01-31",
        "currency": "PHP",
        "amount": 1375,
        "referenceId": None,
        "metadata": {
            "createdAt": "2024-02-01T00:00:00Z",
            "sourceId": source,
            "sourceType": "ACCOUNT",
            "userId": USER_ID,
            "providerId": "sss_ph",
        },
    }


def smile_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "verifications.smile"]


# --- What we send ----------------------------------------------------------------------------


def test_every_request_names_the_portal_and_its_version(client, crafted):
    crafted.script(Reply(envelope(user())))
    client.get_user(USER_ID)
    headers = crafted.seen[0].headers
    assert headers["User-Agent"].startswith(f"VerificationPortal/{__version__} ")
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"].startswith("Basic ")


# --- Answers that are not what the API promises ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"code": "OK", "message": "Success", "requestId": "req-crafted-1"}, "envelope"),
        (envelope(user(), code="PENDING"), "envelope"),
        ({"id": USER_ID, "requestId": "req-crafted-1"}, "envelope"),
        ([user()], "not a JSON object"),
    ],
    ids=["no-data", "unknown-code", "bare-object", "bare-array"],
)
def test_an_answer_without_the_envelope_is_a_permanent_bad_response(
    client, crafted, body, complaint
):
    crafted.script(Reply(body), Reply(envelope(user())))
    with pytest.raises(SmileBadResponse, match=complaint) as error:
        client.get_user(USER_ID)
    assert error.value.permanent
    assert len(crafted.seen) == 1, "a broken answer is not asked for again"
    if isinstance(body, dict):
        assert "requestId req-crafted-1" in str(error.value)


@pytest.mark.parametrize(
    ("call", "data", "missing"),
    [
        (lambda client: client.get_user(USER_ID), {"externalMetadata": {}}, "'id'"),
        (
            lambda client: client.create_user(reference="LOAN-1"),
            {"user": user(), "token": {"expiresAt": "2024-05-01T15:00:00Z"}},
            "'accessToken'",
        ),
        (
            lambda client: client.get_account(ACCOUNT_ID),
            {"id": ACCOUNT_ID, "providerId": "sss_ph"},
            "'userId'",
        ),
        (lambda client: client.get_provider("sss_ph"), {"name": "SSS"}, "'id'"),
    ],
    ids=["user-id", "token", "account-user", "provider-id"],
)
def test_an_answer_missing_a_required_field_is_a_bad_response(client, crafted, call, data, missing):
    crafted.script(Reply(envelope(data), status=201))
    with pytest.raises(SmileBadResponse, match="lacks a required field") as error:
        call(client)
    assert missing in str(error.value)
    assert error.value.request_id == "req-crafted-1"


def test_a_create_answered_with_the_code_created_succeeds(client, crafted):
    # smile-api.md: creates answer 201 with code OK or CREATED; the sandbox always says OK.
    crafted.script(Reply(envelope({"user": user(), "token": token()}, code="CREATED"), status=201))
    created, minted = client.create_user(reference="LOAN-1")
    assert created.id == USER_ID and minted.access_token == "a-user-token"


def test_a_record_of_another_account_is_a_bad_response(client, crafted):
    stranger = "a-" + "9" * 32
    crafted.script(page([contribution(1), contribution(2, source=stranger)]))
    with pytest.raises(SmileBadResponse, match=f"belongs to source {stranger}") as error:
        list(client.iter_records(Kind.CONTRIBUTIONS, source_id=ACCOUNT_ID))
    assert error.value.request_id == "req-crafted-1"


def test_a_record_of_another_smile_user_is_a_bad_response_naming_the_request(client, crafted):
    other = contribution(2)
    other["metadata"]["userId"] = "sandbox-" + "8" * 32
    crafted.script(page([contribution(1), other], request_id="req-other-user"))
    with pytest.raises(SmileBadResponse, match="belongs to Smile user sandbox-8") as error:
        list(client.iter_records(Kind.CONTRIBUTIONS, source_id=ACCOUNT_ID, user_id=USER_ID))
    assert error.value.request_id == "req-other-user"
    assert "requestId req-other-user" in str(error.value)


def test_an_account_of_another_smile_user_is_a_bad_response_naming_the_request(client, crafted):
    stranger = "sandbox-" + "7" * 32
    account = {"id": ACCOUNT_ID, "userId": stranger, "providerId": "sss_ph"}
    crafted.script(Reply(envelope(account, request_id="req-other-account")))
    with pytest.raises(SmileBadResponse, match=f"belongs to user {stranger}") as error:
        client.get_account(ACCOUNT_ID, user_id=USER_ID)
    assert error.value.request_id == "req-other-account"


# --- Paging ----------------------------------------------------------------------------------


@pytest.mark.parametrize("last", [None, "", ...], ids=["null", "empty", "absent"])
def test_a_null_empty_or_absent_next_cursor_ends_the_list(client, crafted, last):
    crafted.script(
        page([contribution(1)], "cursor-2"),
        page([contribution(2)], last),
        page([contribution(3)]),  # only a client that failed to stop would get this one
    )
    records = list(client.iter_records(Kind.CONTRIBUTIONS, source_id=ACCOUNT_ID))
    assert [record.smile_id for record in records] == [f"con-{n:032x}" for n in (1, 2)]
    assert [seen.query.get("cursor") for seen in crafted.seen] == [None, "cursor-2"]


def test_a_cursor_that_does_not_advance_is_a_bad_response(client, crafted):
    crafted.script(page([contribution(1)], "cursor-2"), page([contribution(2)], "cursor-2"))
    with pytest.raises(SmileBadResponse, match="does not advance"):
        list(client.iter_records(Kind.CONTRIBUTIONS, source_id=ACCOUNT_ID))


# --- Answers that break off --------------------------------------------------------------------

CUT_OFF = {
    # Fewer bytes than the Content-Length announced, then the connection closes.
    "short-body": Reply(envelope(user()), cut_after=20),
    # A chunked body whose connection drops in the middle of a chunk.
    "dropped-chunk": Reply(envelope(user()), chunked=True, cut_after=20),
    # A body that says it is gzip and is not.
    "undecodable": Reply(b"not gzip at all", headers={"Content-Encoding": "gzip"}),
}


@pytest.mark.parametrize("broken", list(CUT_OFF.values()), ids=list(CUT_OFF))
def test_a_get_whose_answer_breaks_off_is_retried(client, crafted, caplog, broken):
    crafted.script(broken, Reply(envelope(user())))
    with caplog.at_level(logging.INFO, logger="verifications.smile"):
        assert client.get_user(USER_ID).id == USER_ID
    assert len(crafted.seen) == 2
    [retry] = [line for line in smile_lines(caplog) if "retrying in" in line]
    assert "No complete answer from Smile to GET /users/" in retry


def test_a_get_whose_answers_keep_breaking_off_fails_as_unavailable(client, crafted, caplog):
    crafted.script(*[CUT_OFF["short-body"]] * client.max_attempts)
    with (
        caplog.at_level(logging.WARNING, logger="verifications.smile"),
        pytest.raises(SmileUnavailable) as error,
    ):
        client.get_user(USER_ID)
    assert not error.value.permanent
    assert not isinstance(error.value, requests.RequestException)
    assert len(crafted.seen) == client.max_attempts
    assert "the answer broke off before its end" in smile_lines(caplog)[-1]


@pytest.mark.parametrize("broken", list(CUT_OFF.values()), ids=list(CUT_OFF))
def test_a_post_whose_answer_breaks_off_is_not_repeated(client, crafted, broken):
    crafted.script(broken, Reply(envelope({"user": user(), "token": token()}), status=201))
    with pytest.raises(SmileOutcomeUnknown, match="may have carried it out") as error:
        client.create_user(reference="LOAN-1")
    assert len(crafted.seen) == 1
    assert isinstance(error.value, SmileUnavailable)


def test_a_post_that_timed_out_after_reaching_smile_is_not_repeated(smile_sandbox, settings):
    users_before = len(smile_sandbox.sandbox.store.users)
    client = SmileClient.from_settings(timeout=(2, 0.5), backoff=0.01)
    smile_sandbox.set_faults(slow={"seconds": 1.5, "count": 1})
    with pytest.raises(SmileOutcomeUnknown, match="timed out") as error:
        client.create_user(reference="LOAN-8")
    # Trying again later may help (a second token is harmless; see SmileOutcomeUnknown).
    assert not error.value.permanent
    # Smile did carry it out once its slow answer was done: exactly one user, never two.
    deadline = time.monotonic() + 10
    while len(smile_sandbox.sandbox.store.users) == users_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(smile_sandbox.sandbox.store.users) == users_before + 1


def test_endless_redirects_are_a_bad_response_not_retried(client, crafted):
    redirect = Reply(b"", status=302, headers={"Location": f"/v1/users/{USER_ID}"})
    crafted.script(*[redirect] * 31)  # requests follows 30, then gives up
    with pytest.raises(SmileBadResponse, match="endless redirects"):
        client.get_user(USER_ID)
    assert len(crafted.seen) == 31


def test_an_api_url_requests_cannot_use_is_a_permanent_smile_error():
    client = SmileClient(base_url="ftp://127.0.0.1/v1", client_id="i", client_secret="s")
    with pytest.raises(SmileError, match="Could not send GET /users/") as error:
        client.get_user(USER_ID)
    assert error.value.permanent
    assert not isinstance(error.value, requests.RequestException)


# --- Bad ids from our side ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.get_user(""),
        lambda client: client.get_user(USER_ID + "\n"),
        lambda client: client.get_user("nope"),
        lambda client: client.create_token(""),
        lambda client: client.get_account(""),
        lambda client: client.get_account("con-" + "2" * 32),
        lambda client: client.get_provider("../users"),
        lambda client: list(client.list_accounts("x")),
        lambda client: list(client.iter_contributions("")),
    ],
    ids=[
        "empty-user",
        "user-newline",
        "user-shape",
        "token-user",
        "empty-account",
        "contribution-as-account",
        "provider-path",
        "list-user",
        "records-account",
    ],
)
def test_an_id_that_cannot_be_one_is_refused_before_anything_is_sent(client, crafted, call):
    with pytest.raises(SmileInvalidId, match="nothing was sent to Smile") as error:
        call(client)
    # Both a refused parameter, for callers that catch SmileError, and a bad argument.
    assert isinstance(error.value, SmileInvalidParameters) and isinstance(error.value, ValueError)
    assert error.value.permanent and error.value.status is None
    assert crafted.seen == []


# --- Logs ------------------------------------------------------------------------------------


def test_smiles_request_id_is_in_every_log_line_about_an_answer(client, crafted, caplog):
    crafted.script(
        Reply(envelope({}, code="SERVER_ERROR", request_id="req-500-first"), status=500),
        Reply(envelope(user(), request_id="req-200-second")),
        Reply(envelope({}, code="MISSING_RESOURCE", request_id="req-404-third"), status=404),
    )
    with caplog.at_level(logging.INFO, logger="verifications.smile"):
        client.get_user(USER_ID)
        with pytest.raises(SmileNotFound):
            client.get_user("sandbox-" + "4" * 32)
    lines = smile_lines(caplog)
    assert len(lines) == 5  # -> 500, retrying, -> 200, -> 404, failed
    assert all("req-500-first" in line for line in lines[:2])
    assert "req-200-second" in lines[2]
    assert all("req-404-third" in line for line in lines[3:])


def test_json_nested_deeper_than_python_can_read_is_a_bad_response(client, crafted):
    crafted.script(Reply(b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(SmileBadResponse, match="not a JSON object"):
        client.get_user(USER_ID)
