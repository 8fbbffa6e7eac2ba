"""Keep our LinkedAccount rows in step with Smile's accounts.

Whatever tells us about an account (a webhook, a widget callback, a refresh), the account's
state is read from the Open API, so events that arrive late or twice change nothing wrongly.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from verifications.models import Applicant, Invite, LinkedAccount
from verifications.smile import SmileBadResponse, SmileClient, SmileNotFound

logger = logging.getLogger(__name__)


def refresh_linked_account(
    applicant: Applicant,
    smile_account_id: str,
    *,
    client: SmileClient,
    login_name: str = "",
    gone_status: str = "",
) -> LinkedAccount | None:
    """Fetch the account from Smile and store its state for `applicant`.

    `gone_status` is what to record when Smile no longer knows the account (it deletes a
    revoked account and its data); without it, a missing account is an error.
    """
    try:
        remote = client.get_account(smile_account_id, user_id=applicant.smile_user.smile_id)
    except SmileNotFound:
        if not gone_status:
            raise
        updated = LinkedAccount.objects.filter(smile_id=smile_account_id, applicant=applicant)
        updated.update(connection_status=gone_status, updated_at=timezone.now())
        return updated.first()

    values = {
        "provider_id": remote.provider_id,
        "connection_status": remote.connection_status or LinkedAccount.ConnectionStatus.PENDING,
        "error_code": remote.error_code,
        "error_message": remote.error_message,
        "monitor_status": remote.monitor_status,
        "smile_created_at": remote.created_at,
        "raw": remote.raw,
    }
    if login_name:
        values["login_name"] = login_name
    with transaction.atomic():
        account, created = LinkedAccount.objects.select_for_update().get_or_create(
            smile_id=remote.id, defaults={"applicant": applicant, **values}
        )
        connected = LinkedAccount.ConnectionStatus.CONNECTED
        was_connected = not created and account.connection_status == connected
        if not created:
            if account.applicant_id != applicant.pk:
                raise SmileBadResponse(f"account {remote.id} is stored for another applicant")
            LinkedAccount.objects.filter(pk=account.pk).update(**values, updated_at=timezone.now())
            account.refresh_from_db()
        if account.connection_status == connected:
            mark_connected(applicant, newly=not was_connected)
    return account


def mark_connected(applicant: Applicant, *, newly: bool = True) -> None:
    """The applicant connected an account: their invite is used, their data is on its way.

    Only an opened invite that still works is marked: a connection reported after an invite
    expired or was revoked (a late webhook, a widget session opened before) leaves it so.
    News of an account we already knew connected (a replayed or late ACCOUNT_CONNECTED)
    does not answer a request for more information: only a newly connected account does.
    """
    applicant.refresh_from_db(fields=["status"])
    if newly or applicant.status != Applicant.Status.MORE_INFO:
        applicant.advance(Applicant.Status.CONNECTED)
    now = timezone.now()
    Invite.objects.filter(
        applicant=applicant,
        connected_at__isnull=True,
        revoked_at__isnull=True,
        opened_at__isnull=False,
        expires_at__gt=now,
    ).update(connected_at=now)
