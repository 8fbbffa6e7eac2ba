"""The fault suite: Smile misbehaving in every way the sandbox can, and the portal coping.

Each test ends by comparing what the portal stored with the sandbox's own records (nothing
lost, nothing duplicated) and by finding the trouble where an operator would look: the admin.
"""

import datetime
import os
import signal
import time

import pytest
from django.utils import timezone

from tests import factories
from tests.processes import database_url_of_this_run, portal_env, qcluster, wait_until
from tests.queue import run_queued_tasks
from verifications.models import (
    Contribution,
    Employment,
    EstimatedIncome,
    Identity,
    Income,
    SyncRun,
    WebhookEvent,
)
from verifications.smile_users import ensure_smile_user
from verifications.tasks import requeue_webhook_events

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = {
    "identities": Identity,
    "employments": Employment,
    "contributions": Contribution,
    "incomes": Income,
    "eincomes": EstimatedIncome,
}


@pytest.fixture
def george(smile_sandbox, receiver):
    applicant = factories.applicant(first_name="George", last_name="Palomero")
    ensure_smile_user(applicant)
    smile_sandbox.wait_for_deliveries(1)  # USER_CREATED
    return applicant


@pytest.fixture
def operator(client, admin_user):
    """The admin, logged in: the person who looks when something went wrong."""
    client.force_login(admin_user)
    return client


def page(client, path: str) -> str:
    return client.get(path).content.decode()


def connect(sandbox, applicant, provider="sss_ph") -> str:
    return sandbox.connect(applicant.smile_user.smile_id, provider, "george", "123456")["id"]


def all_delivered(sandbox, *, copies: int = 1) -> list[dict]:
    """Every event published after the fixture's USER_CREATED, each delivered `copies` times."""
    return sandbox.wait_for_deliveries(1 + copies * (len(sandbox.events) - 1), timeout=20)


def assert_nothing_lost_or_doubled(sandbox, account_id: str, kinds=tuple(MODELS)) -> None:
    expected = sandbox.records(account_id)
    for kind in kinds:
        stored = MODELS[kind].objects.filter(account__smile_id=account_id)
        ids = list(stored.values_list("smile_id", flat=True))
        assert len(ids) == len(set(ids))
        assert sorted(ids) == sorted(item["id"] for item in expected.get(kind, [])), kind
        for record in stored:
            assert record.raw in expected[kind]


def test_duplicate_deliveries_times_three(smile_sandbox, george, operator):
    smile_sandbox.set_faults(duplicate_webhooks=3)
    account = connect(smile_sandbox, george)
    all_delivered(smile_sandbox, copies=3)
    run_queued_tasks()
    assert_nothing_lost_or_doubled(smile_sandbox, account)
    assert set(
        WebhookEvent.objects.exclude(event_type="USER_CREATED").values_list("deliveries", flat=True)
    ) == {3}
    inbox = page(operator, "/admin/verifications/webhookevent/?status__exact=processed")
    assert 'class="field-deliveries">3<' in inbox


def test_reordered_deliveries(smile_sandbox, george, operator):
    smile_sandbox.set_faults(reorder_webhooks=True)
    account = connect(smile_sandbox, george)
    all_delivered(smile_sandbox)
    run_queued_tasks()
    assert_nothing_lost_or_doubled(smile_sandbox, account)
    assert "0 webhook events" in page(
        operator, "/admin/verifications/webhookevent/?status__exact=failed"
    )


def test_429_with_retry_after(smile_sandbox, george):
    account = connect(smile_sandbox, george)
    all_delivered(smile_sandbox)
    smile_sandbox.set_faults(rate_limit={"count": 3, "retry_after": 1})
    run_queued_tasks()
    assert smile_sandbox.faults == {}
    assert_nothing_lost_or_doubled(smile_sandbox, account)


def test_a_long_retry_after_is_honoured_by_every_event_retry(smile_sandbox, george, operator):
    account = connect(smile_sandbox, george)
    all_delivered(smile_sandbox)
    smile_sandbox.set_faults(rate_limit={"count": 1000, "retry_after": 600})
    before = timezone.now()
    run_queued_tasks()

    retrying = WebhookEvent.objects.filter(status="retrying")
    assert retrying.exists()
    assert all(
        event.next_attempt_at >= before + datetime.timedelta(seconds=590) for event in retrying
    )
    # One request met the 429; the other events waited without calling Smile.
    assert smile_sandbox.faults["rate_limit"]["count"] == 999
    inbox = page(operator, "/admin/verifications/webhookevent/?status__exact=retrying")
    assert "Failed, will retry" in inbox
    assert retrying.filter(last_error__contains="Smile asked us to wait").exists()
    # When the time has come (and Smile has let go), everything arrives.
    smile_sandbox.clear_faults()
    from django.core.cache import cache

    cache.delete("smile:pause-until")
    retrying.update(next_attempt_at=timezone.now())
    requeue_webhook_events()
    run_queued_tasks()
    assert_nothing_lost_or_doubled(smile_sandbox, account)


def test_a_burst_of_500s_longer_than_the_client_retries(smile_sandbox, george, operator):
    account = connect(smile_sandbox, george)
    all_delivered(smile_sandbox)
    smile_sandbox.set_faults(errors={"count": 12, "status": 500})
    run_queued_tasks()
    inbox = page(operator, "/admin/verifications/webhookevent/?status__exact=retrying")
    assert "Failed, will retry" in inbox
    # Later the schedule finds the events due again, and Smile has recovered.
    while WebhookEvent.objects.filter(status="retrying").exists():
        WebhookEvent.objects.filter(status="retrying").update(next_attempt_at=timezone.now())
        requeue_webhook_events()
        run_queued_tasks()
    assert_nothing_lost_or_doubled(smile_sandbox, account)
    assert not WebhookEvent.objects.filter(status="failed").exists()


def test_a_slow_smile(smile_sandbox, george, settings):
    settings.SMILE_TIMEOUT = (2.0, 0.5)
    account = connect(smile_sandbox, george)
    all_delivered(smile_sandbox)
    smile_sandbox.set_faults(slow={"seconds": 1, "count": 3})
    run_queued_tasks()
    assert smile_sandbox.faults == {}
    assert_nothing_lost_or_doubled(smile_sandbox, account)


def test_a_malformed_record(smile_sandbox, george, operator):
    smile_sandbox.set_faults(malformed={"kind": "contributions", "count": 100})
    account = connect(smile_sandbox, george)
    all_delivered(smile_sandbox)
    run_queued_tasks()
    assert not Contribution.objects.exists()
    runs = page(operator, "/admin/verifications/syncrun/?status__exact=failed")
    assert "malformed contributions record" in runs and "is not an amount" in runs
    failed = WebhookEvent.objects.filter(status="failed")
    assert failed.exists()
    detail = page(operator, f"/admin/verifications/webhookevent/{failed.first().pk}/change/")
    assert "malformed contributions record" in detail
    # Smile fixes the record; the operator replays the failed events from the inbox.
    smile_sandbox.clear_faults()
    selected = list(failed.values_list("pk", flat=True))
    operator.post(
        "/admin/verifications/webhookevent/",
        {"action": "replay_events", "_selected_action": selected},
    )
    run_queued_tasks()
    assert_nothing_lost_or_doubled(smile_sandbox, account)


def test_a_bad_signature(smile_sandbox, george, receiver, operator, settings):
    smile_sandbox.configure_webhooks(receiver, "an-old-secret")
    account = connect(smile_sandbox, george)
    log = all_delivered(smile_sandbox)
    refused = [entry for entry in log if entry["status"] == 401]
    assert len(refused) == 3 * (len(smile_sandbox.events) - 1)
    assert WebhookEvent.objects.count() == 1  # only the USER_CREATED from before
    inbox = page(operator, "/admin/verifications/webhookevent/")
    assert f"signature: <strong>{len(refused)}</strong>" in inbox

    # The secret is put right; Smile's next monthly sync (new contributions, then the task's
    # end) brings the account and every record, also those whose events were refused.
    smile_sandbox.configure_webhooks(receiver, settings.SMILE_WEBHOOK_SECRET)
    smile_sandbox.refresh(account)
    all_delivered(smile_sandbox)
    run_queued_tasks()
    assert_nothing_lost_or_doubled(smile_sandbox, account)
    queue = page(operator, "/admin/verifications/applicant/")
    assert "Identity: synced" in queue and "Employment: synced" in queue


def test_the_worker_killed_mid_sync_and_restarted(smile_sandbox, george, settings, operator):
    # Short task limits, so the broker hands a dead worker's task out again within seconds.
    limits = {"Q_TIMEOUT": "4", "Q_RETRY": "8"}
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 4, "retry": 8}
    env = portal_env(
        DATABASE_URL=database_url_of_this_run(),
        SMILE_API_URL=smile_sandbox.api_url,
        SMILE_CLIENT_ID=settings.SMILE_CLIENT_ID,
        SMILE_CLIENT_SECRET=settings.SMILE_CLIENT_SECRET,
        **limits,
    )
    account = connect(smile_sandbox, george)
    all_delivered(smile_sandbox)
    smile_sandbox.set_faults(slow={"seconds": 1, "count": 1000})

    with qcluster(env) as worker:
        wait_until(lambda: SyncRun.objects.filter(status="running").exists(), timeout=60)
        time.sleep(0.5)  # mid-fetch: every page takes a second
        # The whole cluster dies at once, as on a lost machine: no clean shutdown.
        for pid in [*_children(worker.pid), worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait()
    assert WebhookEvent.objects.filter(status="processing").exists()
    assert SyncRun.objects.filter(status="running").exists()
    interrupted = list(SyncRun.objects.filter(status="running").values_list("pk", flat=True))

    smile_sandbox.clear_faults()
    with qcluster(env):
        wait_until(
            lambda: (
                not WebhookEvent.objects.filter(
                    status__in=["received", "processing", "retrying"]
                ).exists()
                and Contribution.objects.count()
                == len(smile_sandbox.records(account)["contributions"])
            ),
            timeout=90,
            message="the restarted worker did not finish the events",
        )
    assert_nothing_lost_or_doubled(smile_sandbox, account)

    from verifications.tasks import fail_interrupted_sync_runs
    from verifications.webhooks import processing_timeout

    SyncRun.objects.filter(pk__in=interrupted).update(
        started_at=timezone.now() - processing_timeout() * 2
    )
    fail_interrupted_sync_runs()
    failed_runs = page(operator, "/admin/verifications/syncrun/?status__exact=failed")
    assert "Interrupted: the worker stopped" in failed_runs


def _children(pid: int) -> list[int]:
    """Every descendant of a process (qcluster forks its workers)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as file:
                kids = [int(child) for child in file.read().split()]
        except OSError:
            kids = []
        found.extend(kids)
        queue.extend(kids)
    return found
