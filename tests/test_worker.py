"""Real processes: a qcluster worker turns webhooks into records; a killed sync loses nothing."""

import os
import signal
import subprocess

import pytest

from tests import factories
from tests.processes import (
    PYTHON,
    ROOT,
    database_url_of_this_run,
    portal_env,
    qcluster,
    wait_until,
)
from verifications.linked_accounts import refresh_linked_account
from verifications.models import Contribution, Employment, Identity, SyncRun, WebhookEvent
from verifications.smile import SmileClient
from verifications.smile_users import ensure_smile_user

pytestmark = pytest.mark.django_db(transaction=True)


def worker_env(sandbox, settings) -> dict[str, str]:
    return portal_env(
        DATABASE_URL=database_url_of_this_run(),
        SMILE_API_URL=sandbox.api_url,
        SMILE_CLIENT_ID=settings.SMILE_CLIENT_ID,
        SMILE_CLIENT_SECRET=settings.SMILE_CLIENT_SECRET,
    )


def test_a_qcluster_worker_pulls_the_records_after_the_webhooks(smile_sandbox, receiver, settings):
    george = factories.applicant()
    smile_user = ensure_smile_user(george)
    account = smile_sandbox.connect(smile_user.smile_id, "sss_ph", "george", "123456")
    expected = smile_sandbox.records(account["id"])

    with qcluster(worker_env(smile_sandbox, settings)) as worker:
        wait_until(
            lambda: (
                Contribution.objects.count() == len(expected["contributions"])
                and not WebhookEvent.objects.filter(status__in=["received", "processing"]).exists()
            ),
            message="the worker did not process the webhooks",
        )
        assert worker.poll() is None

    assert Identity.objects.get().full_name == "George Cimafranca Palomero, Jr"
    assert Employment.objects.count() == len(expected["employments"])
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed", "ignored"}
    george.refresh_from_db()
    assert george.status == "ready"


def test_a_sync_killed_mid_way_writes_nothing_and_a_rerun_completes(smile_sandbox, settings):
    george = factories.applicant()
    smile_user = ensure_smile_user(george)
    remote = smile_sandbox.connect(smile_user.smile_id, "sss_ph", "george", "123456")
    with SmileClient.from_settings() as client:
        account = refresh_linked_account(george, remote["id"], client=client)

    smile_sandbox.set_faults(slow={"seconds": 1, "count": 100})
    process = subprocess.Popen(
        [PYTHON, "manage.py", "smile_sync", remote["id"]],
        cwd=ROOT,
        env=worker_env(smile_sandbox, settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: SyncRun.objects.filter(status="running").exists(), timeout=30)
    wait_until(lambda: smile_sandbox.faults["slow"]["count"] <= 97, timeout=30)  # mid-fetch
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    assert (
        Identity.objects.count() == Employment.objects.count() == Contribution.objects.count() == 0
    )
    interrupted = SyncRun.objects.get()
    assert interrupted.status == "running"

    smile_sandbox.clear_faults()
    from verifications.sync import sync_account

    run = sync_account(account)
    expected = smile_sandbox.records(remote["id"])
    assert run.counts["CONTRIBUTIONS"]["created"] == len(expected["contributions"])
    assert sorted(Contribution.objects.values_list("smile_id", flat=True)) == sorted(
        item["id"] for item in expected["contributions"]
    )

    # The schedule closes the interrupted run once no task could still be running it.
    from django.utils import timezone

    from verifications.tasks import fail_interrupted_sync_runs
    from verifications.webhooks import processing_timeout

    SyncRun.objects.filter(pk=interrupted.pk).update(
        started_at=timezone.now() - processing_timeout() * 2
    )
    assert fail_interrupted_sync_runs() == 1
    interrupted.refresh_from_db()
    assert interrupted.status == "failed" and "Interrupted" in interrupted.error
