"""The periodic work: its django-q2 schedules, refreshing connected accounts, and the sweeper
that queues webhook events whose processing was lost (and only those)."""

import datetime
import hashlib
import hmac
import json
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ, Schedule

from tests import factories
from tests.queue import queued_task_names, run_queued_tasks
from verifications.linked_accounts import refresh_linked_account
from verifications.models import LinkedAccount, SyncRun, WebhookEvent
from verifications.smile import SmileClient
from verifications.smile_users import ensure_smile_user
from verifications.tasks import refresh_connected_accounts, requeue_webhook_events

pytestmark = pytest.mark.django_db


# --- The schedules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "minutes"),
    [
        ("verifications.tasks.requeue_webhook_events", 1),
        ("verifications.tasks.fail_interrupted_sync_runs", 5),
        ("verifications.tasks.refresh_connected_accounts", 60),
        ("verifications.tasks.send_invite_reminders", 60),
    ],
)
def test_each_periodic_job_is_scheduled_for_ever_by_the_migrations(func, minutes):
    schedule = Schedule.objects.get(func=func)
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", minutes, -1)
    # What the worker will call exists and runs (on an empty database, it finds nothing to do).
    assert import_string(schedule.func)() == 0


# --- Refreshing connected accounts ------------------------------------------------------------


def connected_account(sandbox, **applicant) -> LinkedAccount:
    """An applicant whose account is connected in the sandbox and known to the portal."""
    person = factories.applicant(**applicant)
    smile_user = ensure_smile_user(person)
    remote = sandbox.connect(smile_user.smile_id, "sss_ph", "george", "123456")
    with SmileClient.from_settings() as client:
        return refresh_linked_account(person, remote["id"], client=client)


def broken_account(sandbox) -> LinkedAccount:
    """An account whose every sync fails: Smile serves records of another Smile user for it."""
    person = factories.applicant(last_name="Broken")
    ensure_smile_user(person)
    stranger = sandbox.create_user()
    remote = sandbox.connect(stranger["id"], "sss_ph", "george", "123456")
    return factories.linked_account(person, smile_id=remote["id"])


def test_a_connected_account_is_refreshed_once_its_data_is_old(smile_sandbox):
    account = connected_account(smile_sandbox)
    factories.linked_account(
        account.applicant, provider_id="upwork", connection_status="DISCONNECTED"
    )
    assert refresh_connected_accounts() == 1  # never synced; the disconnected one is not asked
    run_queued_tasks()
    run = SyncRun.objects.get(account=account)
    assert (run.trigger, run.status) == ("schedule", "succeeded")

    assert refresh_connected_accounts() == 0  # fresh now
    LinkedAccount.objects.filter(pk=account.pk).update(
        last_synced_at=timezone.now()
        - datetime.timedelta(hours=settings.SYNC_REFRESH_HOURS, minutes=1)
    )
    assert refresh_connected_accounts() == 1


def test_accounts_that_keep_failing_do_not_starve_the_others(smile_sandbox):
    first, second = broken_account(smile_sandbox), broken_account(smile_sandbox)
    newer = connected_account(smile_sandbox, first_name="Newer")

    # Batches of two (200 in production): the two oldest accounts go first, and fail.
    assert refresh_connected_accounts(limit=2) == 2
    run_queued_tasks()
    assert set(SyncRun.objects.values_list("account", "status")) == {
        (first.pk, "failed"),
        (second.pk, "failed"),
    }

    # The next batch takes the account never tried before any broken one again.
    assert refresh_connected_accounts(limit=2) == 2
    run_queued_tasks()
    assert SyncRun.objects.get(account=newer).status == "succeeded"
    assert SyncRun.objects.filter(account=first).count() == 2  # tried longest ago of the two
    assert SyncRun.objects.filter(account=second).count() == 1

    # Then the one that has waited longest since its try.
    assert refresh_connected_accounts(limit=1) == 1
    run_queued_tasks()
    assert SyncRun.objects.filter(account=second).count() == 2


# --- The sweeper ------------------------------------------------------------------------------


def store_webhook(client, commits, event_type: str = "ACCOUNT_CONNECTED") -> WebhookEvent:
    """Smile delivers an event (for a user we do not know): stored, and its task queued."""
    body = json.dumps(
        {
            "id": f"et-{uuid.uuid4().hex}",
            "version": 1,
            "type": event_type,
            "createdAt": "2026-11-28T10:00:00Z",
            "data": {"userId": "sandbox-" + "0" * 32, "accountId": "a-" + "1" * 32},
        }
    ).encode()
    signature = hmac.new(settings.SMILE_WEBHOOK_SECRET.encode(), body, hashlib.sha512).hexdigest()
    with commits(execute=True):  # the task is queued once the request's transaction commits
        response = client.post(
            "/webhooks/smile/",
            body,
            content_type="application/json",
            HTTP_SMILE_SIGNATURE=signature,
        )
    assert response.status_code == 200
    return WebhookEvent.objects.get(smile_event_id=json.loads(body)["id"])


def minutes_pass(time_machine, minutes: int) -> None:
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=minutes))


def test_an_event_whose_task_waits_behind_a_backlog_is_not_queued_again(
    client, time_machine, django_capture_on_commit_callbacks
):
    store_webhook(client, django_capture_on_commit_callbacks)
    assert len(queued_task_names()) == 1
    # No worker takes it for ten minutes (a backlog); the sweeper runs every minute.
    for _ in range(10):
        minutes_pass(time_machine, 1)
        assert requeue_webhook_events() == 0
    assert len(queued_task_names()) == 1


def test_an_event_whose_task_was_lost_is_queued_again_once(
    client, time_machine, django_capture_on_commit_callbacks
):
    event = store_webhook(client, django_capture_on_commit_callbacks)
    minutes_pass(time_machine, 2)
    newer = store_webhook(client, django_capture_on_commit_callbacks)
    # A worker took the first task and died; the second is still waiting.
    OrmQ.objects.filter(pk=OrmQ.objects.order_by("id").first().pk).delete()
    minutes_pass(time_machine, 3)

    assert requeue_webhook_events() == 1
    assert requeue_webhook_events() == 0  # its new task waits now: no second copy
    minutes_pass(time_machine, 5)
    assert requeue_webhook_events() == 0
    assert len(queued_task_names()) == 2

    run_queued_tasks()
    event.refresh_from_db()
    newer.refresh_from_db()
    assert (event.status, event.attempts) == ("unmatched", 1)
    assert (newer.status, newer.attempts) == ("unmatched", 1)


def test_a_retry_is_queued_when_due_and_not_again_while_it_waits(
    client, time_machine, django_capture_on_commit_callbacks
):
    event = store_webhook(client, django_capture_on_commit_callbacks)
    OrmQ.objects.all().delete()
    WebhookEvent.objects.filter(pk=event.pk).update(
        status="retrying",
        attempts=1,
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=2),
    )
    minutes_pass(time_machine, 1)
    assert requeue_webhook_events() == 0  # not due yet
    minutes_pass(time_machine, 2)
    assert requeue_webhook_events() == 1
    for _ in range(5):
        minutes_pass(time_machine, 1)
        assert requeue_webhook_events() == 0
    assert len(queued_task_names()) == 1
