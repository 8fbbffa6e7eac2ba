"""verifications.smile over real HTTP against the bundled sandbox: calls, paging, errors."""

import datetime
import http.server
import logging
import threading
from decimal import Decimal

import pytest

from tests.processes import free_port
from verifications.smile import (
    SmileAuthError,
    SmileBadResponse,
    SmileClient,
    SmileInvalidParameters,
    SmileNotFound,
    SmileRateLimited,
    SmileUnavailable,
)
from verifications.smile_records import (
    ContributionRecord,
    EmploymentRecord,
    IdentityRecord,
    Kind,
)


@pytest.fixture
def client(smile_sandbox, settings):
    with SmileClient.from_settings(backoff=0.01, max_backoff=0.05) as client:
        yield client


@pytest.fixture
def george(smile_sandbox, client):
    """A Smile user who connected George's social-security account."""
    user, _ = client.create_user(reference="LOAN-1")
    account = smile_sandbox.connect(user.id, "sss_ph", "george", "123456")
    return user, account


def attempts(caplog, method: str, path: str) -> int:
    return sum(
        1
        for record in caplog.records
        if record.name == "verifications.smile"
        and record.getMessage().startswith(f"smile {method} {path}")
        and " -> " in record.getMessage()
    )


def test_create_user_sends_our_reference_and_returns_user_and_token(client, smile_sandbox):
    user, token = client.create_user(reference="LOAN-42", applicant="42")
    assert user.id.startswith(smile_sandbox.sandbox.config.tenant + "-")
    assert user.external_metadata == {"reference": "LOAN-42", "applicant": "42"}
    assert user.created_at.tzinfo == datetime.UTC
    assert token.access_token and token.expires_at > datetime.datetime.now(datetime.UTC)
    assert client.get_user(user.id).external_metadata["reference"] == "LOAN-42"


def test_a_user_token_expires_in_about_five_hours_and_never_shows_in_a_repr(client):
    user, _ = client.create_user(reference="LOAN-1")
    token = client.create_token(user.id)
    lifetime = token.expires_at - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(hours=4, minutes=59) < lifetime <= datetime.timedelta(hours=5)
    assert token.mode == "SANDBOX"
    assert token.access_token not in repr(token)


def test_accounts_and_providers(client, george):
    user, connected = george
    account = client.get_account(connected["id"])
    assert (account.id, account.user_id, account.provider_id) == (
        connected["id"],
        user.id,
        "sss_ph",
    )
    assert account.connection_status == "CONNECTED"
    assert [a.id for a in client.list_accounts(user.id)] == [connected["id"]]
    provider = client.get_provider("sss_ph")
    assert provider.type == "GOVERNMENT"
    assert "CONTRIBUTIONS" in provider.supported


def test_accounts_are_listed_across_pages(client, smile_sandbox):
    user, _ = client.create_user(reference="LOAN-2")
    ids = {
        smile_sandbox.connect(user.id, provider, "george", "123456")["id"]
        for provider in ("sss_ph", "upwork", "freelancer")
    }
    client.page_size = 1
    assert {account.id for account in client.list_accounts(user.id)} == ids


@pytest.mark.parametrize(
    ("kind", "provider"),
    [
        (Kind.IDENTITIES, "sss_ph"),
        (Kind.EMPLOYMENTS, "sss_ph"),
        (Kind.CONTRIBUTIONS, "sss_ph"),
        (Kind.EINCOMES, "sss_ph"),
        (Kind.IDENTITIES, "upwork"),
        (Kind.EMPLOYMENTS, "upwork"),
        (Kind.INCOMES, "upwork"),
    ],
)
def test_every_record_of_every_kind_arrives_once_across_pages(
    client, smile_sandbox, caplog, kind, provider
):
    user, _ = client.create_user(reference="LOAN-7")
    account = smile_sandbox.connect(user.id, provider, "george", "123456")
    expected = [item["id"] for item in smile_sandbox.records(account["id"])[kind.value.lower()]]
    assert expected, f"the sandbox has no {kind} for George on {provider}"
    client.page_size = 2
    with caplog.at_level(logging.INFO, logger="verifications.smile"):
        records = list(client.iter_records(kind, source_id=account["id"]))
    assert [record.smile_id for record in records] == expected
    # Every page was fetched: ceil(n / 2) pages (the last one may be full, then it is the end).
    assert attempts(caplog, "GET", kind.path) == -(-len(expected) // 2)


def test_records_are_parsed_into_typed_values(client, george):
    _, account = george
    identity = next(iter(client.iter_identities(account["id"])))
    assert isinstance(identity, IdentityRecord)
    assert identity.full_name == "George Cimafranca Palomero, Jr"
    assert identity.dob == datetime.date(1970, 8, 24)
    contributions = list(client.iter_contributions(account["id"]))
    assert all(isinstance(c, ContributionRecord) for c in contributions)
    assert all(isinstance(c.amount, Decimal) and c.currency == "PHP" for c in contributions)
    employments = list(client.iter_employments(account["id"]))
    assert all(isinstance(e, EmploymentRecord) for e in employments)
    assert any(e.end_date is None for e in employments), "George has a current job"
    assert all(e.raw["id"] == e.smile_id for e in employments)


def test_wrong_credentials_fail_at_once_as_an_auth_error(smile_sandbox, caplog):
    client = SmileClient(
        base_url=smile_sandbox.api_url, client_id="test-client-id", client_secret="nope"
    )
    with (
        caplog.at_level(logging.INFO, logger="verifications.smile"),
        pytest.raises(SmileAuthError) as error,
    ):
        client.get_user("sandbox-" + "0" * 32)
    assert error.value.permanent
    assert error.value.request_id
    assert error.value.request_id in str(error.value)
    assert attempts(caplog, "GET", "/users/") == 1


def test_unknown_objects_are_not_found(client):
    with pytest.raises(SmileNotFound) as error:
        client.get_account("a-" + "0" * 32)
    assert error.value.permanent and error.value.status == 404
    assert "requestId" in str(error.value)


def test_refused_parameters_are_a_permanent_error(client):
    with pytest.raises(SmileInvalidParameters) as error:
        client.create_user(reference="x", a="1", b="2", c="3", d="4", e="5")
    assert error.value.permanent and error.value.status == 400


def test_429_is_retried_after_the_time_smile_asks_for(client, smile_sandbox, caplog):
    user, _ = client.create_user(reference="LOAN-3")
    smile_sandbox.set_faults(rate_limit={"count": 2, "retry_after": 1})
    with caplog.at_level(logging.INFO, logger="verifications.smile"):
        assert client.get_user(user.id).id == user.id
    assert attempts(caplog, "GET", "/users/") == 3
    waits = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(waits) == 2 and all("retrying in 1.0 s" in wait for wait in waits)


def test_a_retry_after_longer_than_we_hold_a_worker_fails_fast(client, smile_sandbox):
    user, _ = client.create_user(reference="LOAN-4")
    smile_sandbox.set_faults(rate_limit={"count": 1, "retry_after": 600})
    with pytest.raises(SmileRateLimited) as error:
        client.get_user(user.id)
    assert error.value.retry_after == 600
    assert not error.value.permanent


def test_after_a_long_retry_after_no_process_calls_smile_until_then(client, smile_sandbox):
    user, _ = client.create_user(reference="LOAN-5")
    smile_sandbox.set_faults(rate_limit={"count": 2, "retry_after": 600})
    with pytest.raises(SmileRateLimited):
        client.get_user(user.id)
    # Another client (another worker) does not spend a request: the second 429 is unspent.
    with (
        SmileClient.from_settings() as other,
        pytest.raises(SmileRateLimited, match="Smile asked us to wait") as error,
    ):
        other.get_user(user.id)
    assert 590 < error.value.retry_after <= 600
    assert smile_sandbox.faults["rate_limit"]["count"] == 1


def test_with_the_cache_down_smile_is_still_called_and_its_429_still_reported(
    client, smile_sandbox, settings, caplog
):
    user, _ = client.create_user(reference="LOAN-6")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    smile_sandbox.set_faults(rate_limit={"count": 1, "retry_after": 600})
    with pytest.raises(SmileRateLimited) as error:
        client.get_user(user.id)
    assert error.value.retry_after == 600
    assert client.get_user(user.id).id == user.id
    assert "could not record Smile's Retry-After" in caplog.text
    assert "could not read Smile's Retry-After" in caplog.text


def test_a_burst_of_500s_is_retried_until_it_passes(client, smile_sandbox, george, caplog):
    _, account = george
    smile_sandbox.set_faults(errors={"count": 3, "status": 500})
    with caplog.at_level(logging.INFO, logger="verifications.smile"):
        assert client.get_account(account["id"]).id == account["id"]
    assert attempts(caplog, "GET", "/accounts/") == 4


def test_a_lasting_outage_is_a_transient_unavailable_error(client, smile_sandbox, george):
    _, account = george
    smile_sandbox.set_faults(errors={"count": 10, "status": 503})
    with pytest.raises(SmileUnavailable) as error:
        client.get_account(account["id"])
    assert not error.value.permanent
    assert error.value.code == "SERVER_UNAVAILABLE"


def test_a_post_that_reached_smile_is_never_repeated(client, smile_sandbox, caplog):
    users_before = len(smile_sandbox.sandbox.store.users)
    smile_sandbox.set_faults(errors={"count": 1, "status": 500})
    with (
        caplog.at_level(logging.INFO, logger="verifications.smile"),
        pytest.raises(SmileUnavailable),
    ):
        client.create_user(reference="LOAN-5")
    assert attempts(caplog, "POST", "/users") == 1
    assert len(smile_sandbox.sandbox.store.users) == users_before


def test_a_connection_refused_is_retried_even_for_a_post(caplog):
    client = SmileClient(
        base_url=f"http://127.0.0.1:{free_port()}/v1",
        client_id="id",
        client_secret="s",
        backoff=0.01,
    )
    with (
        caplog.at_level(logging.WARNING, logger="verifications.smile"),
        pytest.raises(SmileUnavailable),
    ):
        client.create_user(reference="LOAN-6")
    assert sum("retrying in" in r.getMessage() for r in caplog.records) == client.max_attempts - 1


def test_a_slow_smile_times_out_and_a_get_is_retried(smile_sandbox, settings, george, caplog):
    _, account = george
    client = SmileClient.from_settings(timeout=(2, 0.5), backoff=0.01)
    smile_sandbox.set_faults(slow={"seconds": 1.5, "count": 1})
    with caplog.at_level(logging.WARNING, logger="verifications.smile"):
        assert client.get_account(account["id"]).id == account["id"]
    assert any("timed out" in r.getMessage() for r in caplog.records)


def test_a_malformed_record_is_a_readable_bad_response(client, smile_sandbox, george):
    _, account = george
    smile_sandbox.set_faults(malformed={"kind": "contributions", "count": 1})
    with pytest.raises(SmileBadResponse) as error:
        list(client.iter_contributions(account["id"]))
    message = str(error.value)
    assert "contributions record" in message and "requestId" in message
    assert error.value.permanent


class _NotJson(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<html>Gateway says hello</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_answer_that_is_not_json_is_a_bad_response():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotJson)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = SmileClient(
            base_url=f"http://127.0.0.1:{server.server_port}/v1", client_id="i", client_secret="s"
        )
        with pytest.raises(SmileBadResponse, match="not a JSON object"):
            client.get_user("sandbox-" + "0" * 32)
    finally:
        server.shutdown()


def test_no_secret_appears_in_any_log_line_error_or_repr(smile_sandbox, settings, george, caplog):
    import base64

    client = SmileClient.from_settings(backoff=0.01)
    user, _ = george
    secrets = [
        settings.SMILE_CLIENT_SECRET,
        base64.b64encode(
            f"{settings.SMILE_CLIENT_ID}:{settings.SMILE_CLIENT_SECRET}".encode()
        ).decode(),
    ]
    with caplog.at_level(logging.DEBUG):
        token = client.create_token(user.id)
        secrets.append(token.access_token)
        smile_sandbox.set_faults(
            rate_limit={"count": 1, "retry_after": 0}, errors={"count": 1, "status": 500}
        )
        list(client.iter_contributions(george[1]["id"]))
        errors = []
        for call in (
            lambda: client.get_user("sandbox-" + "f" * 32),
            lambda: SmileClient(
                base_url=smile_sandbox.api_url,
                client_id="x",
                client_secret=settings.SMILE_CLIENT_SECRET,
            ).get_user(user.id),
        ):
            try:
                call()
            except Exception as error:
                errors.append(error)
    text = "\n".join(record.getMessage() for record in caplog.records)
    text += "\n".join([repr(client), *map(str, errors), *map(repr, errors), repr(token)])
    assert len(caplog.records) > 5
    for secret in secrets:
        assert secret not in text
