"""Small builders for the rows tests need (plain functions, no factory library)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from verifications.models import (
    Applicant,
    Contribution,
    Employment,
    Invite,
    LinkedAccount,
    SmileUser,
    SyncRun,
)

_numbers = itertools.count(1)


def applicant(**fields) -> Applicant:
    n = next(_numbers)
    defaults = {
        "first_name": "George",
        "last_name": "Palomero",
        "email": f"george{n}@example.com",
        "external_reference": f"REF-{n:05d}",
    }
    return Applicant.objects.create(**{**defaults, **fields})


def smile_user(person: Applicant, smile_id: str | None = None) -> SmileUser:
    return SmileUser.objects.create(
        applicant=person, smile_id=smile_id or f"sandbox-{next(_numbers):032x}"
    )


def linked_account(person: Applicant, **fields) -> LinkedAccount:
    defaults = {
        "smile_id": f"a-{next(_numbers):032x}",
        "provider_id": "sss_ph",
        "connection_status": LinkedAccount.ConnectionStatus.CONNECTED,
    }
    return LinkedAccount.objects.create(applicant=person, **{**defaults, **fields})


def invite(person: Applicant, **fields) -> Invite:
    defaults = {
        "token_hash": f"{next(_numbers):064x}",
        "expires_at": timezone.now() + datetime.timedelta(days=7),
    }
    return Invite.objects.create(applicant=person, **{**defaults, **fields})


def contribution(account: LinkedAccount, date: datetime.date, amount="1375.00", **fields):
    return Contribution.objects.create(
        account=account,
        smile_id=fields.pop("smile_id", f"con-{next(_numbers):032x}"),
        date=date,
        amount=Decimal(amount),
        currency=fields.pop("currency", "PHP"),
        raw=fields.pop("raw", {}),
        **fields,
    )


def employment(account: LinkedAccount, start: datetime.date, end=None, **fields) -> Employment:
    return Employment.objects.create(
        account=account,
        smile_id=fields.pop("smile_id", f"e-{next(_numbers):032x}"),
        start_date=start,
        end_date=end,
        employer=fields.pop("employer", "ABC Corporation"),
        raw=fields.pop("raw", {}),
        **fields,
    )


def failed_sync(account: LinkedAccount, error: str, **fields) -> SyncRun:
    """A finished sync run that failed, by default of contributions from a webhook."""
    defaults = {"kinds": ["CONTRIBUTIONS"], "trigger": "webhook", "finished_at": timezone.now()}
    return SyncRun.objects.create(
        account=account, status="failed", error=error, **{**defaults, **fields}
    )
