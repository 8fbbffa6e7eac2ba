"""django-q2 task functions: thin, importable, taking ids (task payloads are pickled)."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, Max
from django.utils import timezone

from verifications import background, invites, sync, webhook_processing, webhooks
from verifications.models import LinkedAccount, SyncRun
from verifications.smile_records import Kind

logger = logging.getLogger(__name__)


def process_webhook_event(event_pk: int) -> str | None:
    return webhook_processing.process_event(event_pk)


def sync_linked_account(
    account_pk: int,
    kinds: list[str] | None = None,
    trigger: str = SyncRun.Trigger.MANUAL,
    requested_by_pk: int | None = None,
) -> int | None:
    """Sync one account; return the SyncRun id (failures are recorded on the run)."""
    account = LinkedAccount.objects.select_related("applicant__smile_user").get(pk=account_pk)
    requested_by = get_user_model().objects.filter(pk=requested_by_pk).first()
    try:
        run = sync.sync_account(
            account,
            kinds=[Kind(kind) for kind in kinds] if kinds else sync.ALL_KINDS,
            trigger=trigger,
            requested_by=requested_by,
        )
    except sync.SyncFailed as failure:
        return failure.run.pk
    return run.pk


def requeue_webhook_events() -> int:
    """Schedule: re-enqueue events whose processing was lost or is due for a retry."""
    return webhooks.requeue_due()


# Accounts queued for a refresh per run: a run an hour spreads a large book of accounts over
# the day instead of putting thousands of syncs (and Smile calls) on the queue at once.
REFRESH_BATCH = 200


def refresh_connected_accounts(limit: int = REFRESH_BATCH) -> int:
    """Schedule: re-sync connected accounts not synced within SYNC_REFRESH_HOURS.

    Least recently tried first (never tried before all), not oldest first: an account whose
    syncs keep failing goes to the back after each try, so a batch's worth of broken accounts
    cannot take every batch and leave the rest unrefreshed for ever.
    """
    cutoff = timezone.now() - datetime.timedelta(hours=settings.SYNC_REFRESH_HOURS)
    due = (
        LinkedAccount.objects.filter(
            connection_status=LinkedAccount.ConnectionStatus.CONNECTED,
            applicant__smile_user__isnull=False,
        )
        .exclude(last_synced_at__gte=cutoff)
        .annotate(last_tried=Max("sync_runs__started_at"))
        .order_by(F("last_tried").asc(nulls_first=True), "pk")
    )
    pks = list(due.values_list("pk", flat=True)[:limit])
    for pk in pks:
        background.enqueue(
            "verifications.tasks.sync_linked_account",
            pk,
            None,
            SyncRun.Trigger.SCHEDULE,
            group="refresh",
        )
    return len(pks)


def fail_interrupted_sync_runs() -> int:
    """Schedule: a run still 'running' long after any task could is a worker that died."""
    cutoff = timezone.now() - webhooks.processing_timeout()
    return SyncRun.objects.filter(status=SyncRun.Status.RUNNING, started_at__lt=cutoff).update(
        status=SyncRun.Status.FAILED,
        error="Interrupted: the worker stopped before the sync finished; nothing was written.",
        finished_at=timezone.now(),
    )


def send_invite_reminders() -> int:
    """Schedule: remind applicants who have not opened their invite (INVITE_REMINDER_DAYS)."""
    return invites.send_reminders()


def sync_after_connect(account_pk: int) -> int | None:
    """The widget reported a connection: pull what is there now (webhooks follow)."""
    return sync_linked_account(account_pk, None, SyncRun.Trigger.CONNECT)
