"""Where the data came from, and whether it is stale."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from verifications.history.dates import (
    date,
    local_date,
)

# --- Data sources --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSource:
    provider: str
    account_id: str
    status: str
    last_synced_at: datetime.datetime | None
    last_synced_on: date | None  # in the portal's time zone
    age_days: int | None
    is_stale: bool
    last_run_status: str
    last_run_error: str


def data_sources(
    accounts: Iterable[Any], *, today: date, stale_days: int, tz: datetime.tzinfo | None = None
) -> tuple[DataSource, ...]:
    """Where the data came from and how old it is: never synced counts as stale."""
    sources = []
    for account in accounts:
        synced = account.last_synced_at
        synced_on = local_date(synced, tz) if synced else None
        age = (today - synced_on).days if synced_on else None
        sources.append(
            DataSource(
                provider=account.provider_id,
                account_id=account.smile_id,
                status=account.get_connection_status_display(),
                last_synced_at=synced,
                last_synced_on=synced_on,
                age_days=age,
                is_stale=age is None or age > stale_days,
                last_run_status=getattr(account, "last_run_status", None) or "",
                last_run_error=getattr(account, "last_run_error", None) or "",
            )
        )
    return tuple(sources)
