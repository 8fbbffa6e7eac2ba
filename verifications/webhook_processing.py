"""What each Smile event does, once claimed by a worker (see webhooks.claim).

A webhook is a notification: account state and data records always come from the Open API,
never from the payload, so processing an event twice or out of order converges on Smile's
current state.
"""

from __future__ import annotations

import json
import logging

from django.utils import timezone

from verifications import sync, webhooks
from verifications.linked_accounts import refresh_linked_account
from verifications.models import Applicant, LinkedAccount, SmileUser, SyncRun, WebhookEvent
from verifications.smile import SmileClient, SmileError, SmileNotFound
from verifications.smile_records import Kind

logger = logging.getLogger(__name__)
Status = WebhookEvent.Status


def process_event(event_pk: int) -> str | None:
    """Process one stored event if nobody else is; return its new status."""
    event = webhooks.claim(event_pk)
    if event is None:
        return None
    data = json.loads(event.body)["data"]
    smile_user = (
        SmileUser.objects.select_related("applicant").filter(smile_id=event.smile_user_id).first()
    )
    if smile_user is None:
        webhooks.finish(
            event, Status.UNMATCHED, note=f"No applicant has Smile user {event.smile_user_id!r}."
        )
        return Status.UNMATCHED
    applicant = smile_user.applicant
    try:
        with SmileClient.from_settings() as client:
            note = _dispatch(event, data, applicant, client)
    except sync.SyncFailed as error:
        return webhooks.fail(event, error, permanent=error.permanent)
    except SmileError as error:
        return webhooks.fail(event, error, permanent=error.permanent)
    except KeyError as error:
        # A handled event without the field smile-api.md says it carries: retrying won't help.
        return webhooks.fail(event, ValueError(f"the event data lacks {error}"), permanent=True)
    except Exception as error:
        logger.exception("webhook %s: unexpected error", event.smile_event_id)
        return webhooks.fail(event, error, permanent=False)
    webhooks.finish(event, Status.PROCESSED, applicant=applicant, note=note)
    return Status.PROCESSED


def _dispatch(event: WebhookEvent, data: dict, applicant: Applicant, client: SmileClient) -> str:
    kind = event.event_type
    if kind in webhooks.ACCOUNT_EVENTS:
        try:
            refresh_linked_account(
                applicant,
                data["accountId"],
                client=client,
                login_name=str(data.get("loginName") or ""),
            )
        except SmileNotFound:
            return _account_gone(applicant, data["accountId"])
        return ""
    if kind in webhooks.TASK_EVENTS:
        return _task_finished(event, data, applicant, client)
    account = _account(applicant, data["accountId"], client)
    if account is None:
        return _account_gone(applicant, data["accountId"])
    sync.sync_account(
        account,
        kinds=[Kind(webhooks.DATA_EVENTS[kind])],
        trigger=SyncRun.Trigger.WEBHOOK,
        webhook_event=event,
        client=client,
    )
    return ""


def _task_finished(event: WebhookEvent, data: dict, applicant: Applicant, client) -> str:
    if str(data.get("sourceType") or "ACCOUNT") != "ACCOUNT":
        return f"Source type {data.get('sourceType')} is not a linked account; nothing to sync."
    account = _account(applicant, data["sourceId"], client)
    if account is None:
        return _account_gone(applicant, data["sourceId"])
    if data.get("status") == "FAILED":
        code = str(data.get("errorCode") or "UNKNOWN")
        LinkedAccount.objects.filter(pk=account.pk).update(task_error=code)
        return f"Smile's task failed with {code}."
    # One example in Smile's documentation spells it `dataPoints`.
    points = data.get("datapoints") or data.get("dataPoints") or []
    kinds = sync.kinds_from_datapoints(points)
    # Also whatever kind was never pulled: by the end of a task its event should have come,
    # so it was lost (refused while the webhook secret was wrong, or Smile gave up resending
    # it), and the applicant is about to show as ready for review; the periodic refresh
    # would come days later. Done here only, not on every data event, to spend no requests
    # on the usual path, where each kind's own event is on its way.
    kinds = [*kinds, *sync.kinds_never_synced(account)]
    if kinds:
        sync.sync_account(
            account,
            kinds=kinds,
            trigger=SyncRun.Trigger.WEBHOOK,
            webhook_event=event,
            client=client,
        )
    LinkedAccount.objects.filter(pk=account.pk).update(task_error="")
    applicant.refresh_from_db(fields=["status"])
    # Connected → ready. An applicant asked for more information stays asked: the table
    # refuses more_info → ready, since data for an account already connected is no answer.
    applicant.advance(Applicant.Status.READY)
    return "" if kinds else "The task listed no datapoints we store."


def _account(
    applicant: Applicant, smile_account_id: str, client: SmileClient
) -> LinkedAccount | None:
    """Our row for the account; events can come before ACCOUNT_CONNECTED, so fetch it then.

    None when we have no row and Smile no longer has the account either.
    """
    account = LinkedAccount.objects.filter(smile_id=smile_account_id, applicant=applicant).first()
    if account is None:
        try:
            account = refresh_linked_account(applicant, smile_account_id, client=client)
        except SmileNotFound:
            return None
    return account


def _account_gone(applicant: Applicant, smile_account_id: str) -> str:
    """Smile answered 404 for the account: record that, as the account's state, not an error.

    Smile deletes an account and its data when it is revoked, and 60 days after it connected
    (smile-api.md), so an event processed later (delayed, replayed, or overtaken by the
    ACCOUNT_DISCONNECTED) finds nothing. Failing it would only fill the inbox with noise and
    retries that cannot succeed; our copy of the data is kept either way.
    """
    gone = LinkedAccount.objects.filter(smile_id=smile_account_id, applicant=applicant)
    disconnected = LinkedAccount.ConnectionStatus.DISCONNECTED
    if gone.update(connection_status=disconnected, updated_at=timezone.now()):
        return (
            f"Smile no longer has account {smile_account_id} (revoked or deleted): "
            "marked disconnected; the data already pulled is kept."
        )
    return f"Smile no longer has account {smile_account_id}, and we never stored it: nothing to do."
