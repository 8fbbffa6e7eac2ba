"""Smile's signed webhooks, delivered by the bundled sandbox to the portal under test.

Every event is verified, stored before it is acknowledged, processed once, and pulls the
applicant's records from the Open API; nothing is lost and nothing is stored twice.
"""

import datetime
import hashlib
import hmac
import json
import logging
import threading
import uuid

import pytest
import requests
from django.db import connection
from django.utils import timezone

from tests import factories
from tests.processes import database_url_of_this_run, gunicorn, portal_env
from tests.queue import queued_task_names, run_queued_tasks
from tests.webhook_support import (
    RECORD_MODELS,
    assert_stored_equals_sandbox,
    connect,
    delivered,
)
from verifications.models import (
    Identity,
    LinkedAccount,
    SyncRun,
    WebhookEvent,
    WebhookRejection,
)
from verifications.smile_users import ensure_smile_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def george(smile_sandbox):
    """An applicant whose Smile user the portal created in the sandbox."""
    applicant = factories.applicant(first_name="George", last_name="Palomero")
    ensure_smile_user(applicant)
    return applicant


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def event_body(event_type="ACCOUNT_CONNECTED", **data) -> bytes:
    event = {
        "id": f"et-{uuid.uuid4().hex}",
        "version": 1,
        "type": event_type,
        "createdAt": "2026-11-28T10:00:00Z",
        "data": {"userId": "sandbox-" + "0" * 32, "accountId": "a-" + "1" * 32, **data},
    }
    return json.dumps(event).encode()


def post(url, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Smile-Signature"] = signature
    return requests.post(url, data=body, headers=headers, timeout=10)


def test_a_connection_is_delivered_verified_stored_and_pulled(smile_sandbox, receiver, george):
    account, events = connect(smile_sandbox, george)
    log = delivered(smile_sandbox)
    every = smile_sandbox.events  # USER_CREATED, when the portal created George's user, first
    assert [entry["status"] for entry in log] == [200] * len(every)
    assert [e["type"] for e in events][:2] == ["ACCOUNT_CREATED", "ACCOUNT_CONNECTED"]

    stored = WebhookEvent.objects.order_by("received_at")
    assert [e.smile_event_id for e in stored] == [e["id"] for e in every]
    ignored = {"USER_CREATED", "TASK_STARTED"}
    assert {e.status for e in stored if e.event_type not in ignored} == {"received"}
    assert {e.status for e in stored if e.event_type in ignored} == {"ignored"}
    assert stored.last().body == json.dumps(events[-1], ensure_ascii=False, separators=(",", ":"))
    assert stored.first().headers["Smile-Signature"]
    assert stored.first().remote_ip == "127.0.0.1"
    # Acknowledged before anything was processed: the work waits in the queue.
    assert Identity.objects.count() == 0
    assert queued_task_names().count("verifications.tasks.process_webhook_event") == len(events) - 1

    run_queued_tasks()

    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed", "ignored"}
    linked = LinkedAccount.objects.get(smile_id=account["id"])
    assert linked.connection_status == "CONNECTED"
    assert linked.applicant == george
    assert_stored_equals_sandbox(smile_sandbox, account["id"])
    george.refresh_from_db()
    assert george.status == "ready"


def test_a_wrong_signature_is_refused_and_nothing_is_stored(
    smile_sandbox, receiver, george, caplog
):
    smile_sandbox.configure_webhooks(receiver, "not-the-secret")
    _, events = connect(smile_sandbox, george)
    with caplog.at_level(logging.WARNING, logger="verifications.views"):
        log = delivered(smile_sandbox)
    refused = [entry for entry in log if entry["eventId"] in {e["id"] for e in events}]
    assert {entry["status"] for entry in refused} == {401}
    # Smile tries each event three times: every attempt is counted, none is stored.
    assert not WebhookEvent.objects.filter(smile_event_id__in=[e["id"] for e in events]).exists()
    counter = WebhookRejection.objects.get(reason="bad_signature", day=timezone.localdate())
    assert counter.count == len(refused) == 3 * len(events)
    assert any("refused: wrong signature" in record.getMessage() for record in caplog.records)


def test_a_missing_signature_is_refused(receiver, smile_sandbox):
    response = post(receiver, event_body(), signature=None)
    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0
    assert WebhookRejection.objects.get(reason="missing_signature").count == 1


def test_no_configured_secret_refuses_every_webhook(receiver, settings):
    body = event_body()
    settings.SMILE_WEBHOOK_SECRET = ""
    assert post(receiver, body, sign(body, "")).status_code == 401
    assert WebhookEvent.objects.count() == 0


def test_the_previous_secret_still_works_while_rotating(receiver, settings):
    old, new = settings.SMILE_WEBHOOK_SECRET, "rotated-webhook-secret"
    settings.SMILE_WEBHOOK_SECRET, settings.SMILE_WEBHOOK_SECRET_PREVIOUS = new, old
    first, second, third = event_body(), event_body(), event_body()
    assert post(receiver, first, sign(first, old)).status_code == 200
    assert post(receiver, second, sign(second, new)).status_code == 200
    assert post(receiver, third, sign(third, "something-else")).status_code == 401
    assert WebhookEvent.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"<xml/>", "the body is not JSON"),
        (b"[1, 2]", "the body is not a JSON object"),
        (
            b'{"id": "et-1", "type": "ACCOUNT_CREATED", "createdAt": "2026-01-01T00:00:00Z"}',
            "lacks data",
        ),
        (b'{"type": "X", "createdAt": "2026-01-01T00:00:00Z", "data": {}}', "lacks id"),
        (b'{"id": "et-1", "type": "X", "createdAt": "yesterday", "data": {}}', "createdAt is not"),
        # Well-formed events, but not in UTF-8: json.loads would read them, the inbox could not.
        (event_body("INSIGHT_ADDED").decode().encode("utf-16"), "the body is not UTF-8"),
        (event_body("INSIGHT_ADDED").decode().encode("utf-32"), "the body is not UTF-8"),
    ],
)
def test_a_signed_body_that_is_not_a_smile_event_gets_400(receiver, settings, body, complaint):
    response = post(receiver, body, sign(body, settings.SMILE_WEBHOOK_SECRET))
    assert response.status_code == 400
    assert complaint in response.json()["error"]
    assert WebhookEvent.objects.count() == 0


def odd_event(**fields) -> bytes:
    event = json.loads(event_body("EMPLOYMENTS_ADDED"))
    return json.dumps({**event, **fields}).encode()


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (odd_event(type="X" * 65), "the event type is longer than 64 characters"),
        (odd_event(id="et-" + "f" * 198), "the event id is longer than 200 characters"),
        (odd_event(type="EMPLOYMENTS_ADDED\u0000"), "the event type contains a NUL"),
        (odd_event(createdAt="0001-01-01T00:00:00+05:00"), "createdAt is not"),
    ],
)
def test_a_signed_event_the_inbox_could_not_hold_gets_400_not_500(
    receiver, settings, body, complaint
):
    # A 500 would make Smile resend twice and then drop the event; a 400 says what is wrong.
    # (SQLite stores over-long text without complaint; PostgreSQL, as deployed, refuses it.)
    response = post(receiver, body, sign(body, settings.SMILE_WEBHOOK_SECRET))
    assert response.status_code == 400, response.text
    assert complaint in response.json()["error"]
    assert WebhookEvent.objects.count() == 0


def test_odd_but_storable_values_are_kept_without_a_500(receiver, settings):
    data = {"userId": "sandbox-\u0000" + "0" * 300, "accountId": "a-" + "1" * 32}
    body = odd_event(version=2**31, type="SOME_FUTURE_EVENT_TYPE", data=data)
    assert post(receiver, body, sign(body, settings.SMILE_WEBHOOK_SECRET)).status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.version is None  # beyond what the column holds; the body keeps it
    assert stored.smile_user_id == ("sandbox-" + "0" * 300)[:200]
    assert stored.status == "ignored"
    assert stored.body == body.decode()


def test_a_body_over_the_upload_limit_gets_413(receiver, settings):
    body = odd_event(data={"padding": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    response = post(receiver, body, sign(body, settings.SMILE_WEBHOOK_SECRET))
    assert response.status_code == 413
    assert response.json()["error"] == "The body is too large."
    assert WebhookEvent.objects.count() == 0


def test_with_the_broker_down_events_are_still_acknowledged_and_processed_later(
    smile_sandbox, george, settings, tmp_path, time_machine
):
    from verifications.tasks import requeue_webhook_events

    # The portal as deployed, with its Redis broker unreachable (nothing listens on port 1).
    env = portal_env(DATABASE_URL=database_url_of_this_run(), REDIS_URL="redis://127.0.0.1:1/0")
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output, gunicorn(env, output=output) as base_url:
        url = base_url + "/webhooks/smile/"
        smile_sandbox.configure_webhooks(url, settings.SMILE_WEBHOOK_SECRET)
        account, events = connect(smile_sandbox, george)
        deliveries = delivered(smile_sandbox)
    # Stored, so acknowledged: a 500 would only have Smile resend what we already hold.
    assert [entry["status"] for entry in deliveries[1:]] == [200] * len(events)
    stored = WebhookEvent.objects.filter(smile_event_id__in=[e["id"] for e in events])
    assert stored.count() == len(events)
    assert "stored, but queueing it failed (ConnectionError" in log.read_text()
    assert queued_task_names() == []
    assert not stored.filter(enqueued_at__isnull=False).exists()

    # The broker is back (this test process uses the database's queue); minutes later the
    # sweeper finds the events nobody queued, and they are processed as usual.
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=3))
    assert requeue_webhook_events() == len(events) - 1  # TASK_STARTED is not ours to process
    run_queued_tasks()
    assert set(stored.values_list("status", flat=True)) == {"processed", "ignored"}
    assert_stored_equals_sandbox(smile_sandbox, account["id"])


def test_unknown_event_types_are_stored_and_marked_ignored(receiver, settings):
    body = event_body("INSIGHT_ADDED")
    assert post(receiver, body, sign(body, settings.SMILE_WEBHOOK_SECRET)).status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.event_type, event.status) == ("INSIGHT_ADDED", "ignored")
    assert queued_task_names() == []


def test_an_event_for_a_smile_user_we_do_not_know_is_marked_unmatched(receiver, settings):
    body = event_body("ACCOUNT_CONNECTED", loginName="someone")
    assert post(receiver, body, sign(body, settings.SMILE_WEBHOOK_SECRET)).status_code == 200
    run_queued_tasks()
    event = WebhookEvent.objects.get()
    assert event.status == "unmatched"
    assert "No applicant has Smile user" in event.last_error


def test_duplicate_deliveries_are_acknowledged_and_processed_once(smile_sandbox, receiver, george):
    smile_sandbox.set_faults(duplicate_webhooks=3)
    account, _events = connect(smile_sandbox, george)
    log = delivered(smile_sandbox, copies=3)
    assert {entry["status"] for entry in log} == {200}
    assert WebhookEvent.objects.count() == len(smile_sandbox.events)
    connection = WebhookEvent.objects.exclude(event_type="USER_CREATED")
    assert set(connection.values_list("deliveries", flat=True)) == {3}

    run_queued_tasks()

    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) - {0} == {1}
    data_events = WebhookEvent.objects.filter(event_type__endswith="_ADDED")
    assert all(event.sync_runs.count() == 1 for event in data_events)
    assert_stored_equals_sandbox(smile_sandbox, account["id"])


def test_the_same_event_delivered_in_parallel_is_stored_and_queued_once(receiver, settings):
    body = event_body("ACCOUNT_CONNECTED", loginName="george")
    signature = sign(body, settings.SMILE_WEBHOOK_SECRET)
    statuses, start = [], threading.Barrier(6)

    def deliver():
        start.wait()
        statuses.append(post(receiver, body, signature).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    event = WebhookEvent.objects.get()
    assert event.deliveries == 6
    assert queued_task_names() == ["verifications.tasks.process_webhook_event"]


def test_events_arriving_in_reverse_order_converge(smile_sandbox, receiver, george):
    smile_sandbox.set_faults(reorder_webhooks=True)
    account, _events = connect(smile_sandbox, george)
    log = delivered(smile_sandbox)
    order = [entry["type"] for entry in log]
    assert (
        order.index("TASK_FINISHED")
        < order.index("IDENTITY_ADDED")
        < order.index("ACCOUNT_CONNECTED")
    )

    run_queued_tasks()

    assert LinkedAccount.objects.get(smile_id=account["id"]).connection_status == "CONNECTED"
    assert_stored_equals_sandbox(smile_sandbox, account["id"])
    assert not WebhookEvent.objects.exclude(status__in=["processed", "ignored"]).exists()


def test_429_and_500_mid_sync_are_retried_and_the_sync_completes(smile_sandbox, receiver, george):
    account, _events = connect(smile_sandbox, george)
    delivered(smile_sandbox)
    # The account and identity events go through; Smile stumbles while we page contributions.
    assert queued_task_names()[3:4] == ["verifications.tasks.process_webhook_event"]
    run_queued_tasks(limit=4)
    smile_sandbox.set_faults(
        rate_limit={"count": 1, "retry_after": 0}, errors={"count": 2, "status": 500}
    )

    run_queued_tasks()

    assert smile_sandbox.faults == {}, "every fault fired"
    contributions_run = SyncRun.objects.get(kinds=["CONTRIBUTIONS"])
    assert contributions_run.status == "succeeded"
    assert not WebhookEvent.objects.filter(status__in=["failed", "retrying"]).exists()
    assert_stored_equals_sandbox(smile_sandbox, account["id"])


def test_a_long_outage_retries_the_event_later_then_gives_up_visibly(
    smile_sandbox, receiver, george
):
    account, events = connect(smile_sandbox, george)
    delivered(smile_sandbox)
    smile_sandbox.set_faults(errors={"count": 1000, "status": 503})
    run_queued_tasks()
    retrying = WebhookEvent.objects.filter(status="retrying")
    assert retrying.count() == len(events) - 1
    assert all(event.next_attempt_at > timezone.now() for event in retrying)
    assert "Smile is unavailable" in retrying.first().last_error

    smile_sandbox.clear_faults()
    # Time passes: the retry is due, and the schedule puts the events back in the queue.
    retrying.update(next_attempt_at=timezone.now())
    from verifications.tasks import requeue_webhook_events

    assert requeue_webhook_events() == len(events) - 1
    run_queued_tasks()
    assert_stored_equals_sandbox(smile_sandbox, account["id"])
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) - {0} == {2}


def test_an_event_that_keeps_failing_is_marked_failed_with_its_error(
    smile_sandbox, receiver, george
):
    from verifications.tasks import requeue_webhook_events

    _, events = connect(smile_sandbox, george)
    delivered(smile_sandbox)
    smile_sandbox.set_faults(errors={"count": 10_000, "status": 500})
    for _ in range(6):
        WebhookEvent.objects.filter(status="retrying").update(next_attempt_at=timezone.now())
        requeue_webhook_events()
        run_queued_tasks()
    failed = WebhookEvent.objects.filter(status="failed")
    assert failed.count() == len(events) - 1
    assert all(event.attempts == 5 for event in failed)
    assert "Smile had a server error" in failed.first().last_error


def test_a_malformed_record_fails_the_sync_and_changes_nothing(smile_sandbox, receiver, george):
    account, _events = connect(smile_sandbox, george)
    delivered(smile_sandbox)
    run_queued_tasks()
    before = {
        model: list(model.objects.order_by("pk").values()) for model in RECORD_MODELS.values()
    }

    # A monthly update arrives, and one record on every page Smile serves now is broken.
    smile_sandbox.set_faults(malformed={"kind": "contributions", "count": 100})
    smile_sandbox.refresh(account["id"])
    delivered(smile_sandbox)
    run_queued_tasks()

    failed_runs = SyncRun.objects.filter(status="failed")
    assert failed_runs.count() == 2  # CONTRIBUTIONS_ADDED, then ACCOUNT_SYNC_TASK_FINISHED
    assert all("malformed contributions record" in run.error for run in failed_runs)
    assert all("requestId" in run.error for run in failed_runs)
    assert {
        model: list(model.objects.order_by("pk").values()) for model in RECORD_MODELS.values()
    } == before
    assert WebhookEvent.objects.filter(status="failed").count() == 2

    # Smile fixes its data; replaying the failed events brings the new month in.
    smile_sandbox.clear_faults()
    from verifications.webhook_replay import replay

    replay(WebhookEvent.objects.filter(status="failed"))
    run_queued_tasks()
    assert_stored_equals_sandbox(smile_sandbox, account["id"])


def test_workers_racing_for_one_event_process_it_once(smile_sandbox, receiver, george):
    from verifications.webhook_processing import process_event

    connect(smile_sandbox, george)
    delivered(smile_sandbox)
    event = WebhookEvent.objects.get(event_type="CONTRIBUTIONS_ADDED")
    outcomes, start = [], threading.Barrier(3)

    def work():
        start.wait()
        try:
            outcomes.append(process_event(event.pk))
        finally:
            connection.close()  # a thread's connection outlives it and blocks the test DB's drop

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [None, None, "processed"]
    event.refresh_from_db()
    assert (event.attempts, event.sync_runs.count()) == (1, 1)
