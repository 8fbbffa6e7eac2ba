"""Pull an account's records from Smile's Open API and upsert them, all or nothing.

Records are fetched first, outside any transaction (HTTP must not hold database locks), then
written in one transaction keyed by Smile's record id. A malformed record or a failed call
fails the whole sync and leaves stored data untouched; every sync leaves a SyncRun row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from verifications import review
from verifications.models import LinkedAccount, SyncRun, WebhookEvent
from verifications.smile import SmileClient, SmileError
from verifications.smile_records import MODELS, Kind, Record

logger = logging.getLogger(__name__)

ALL_KINDS: tuple[Kind, ...] = tuple(MODELS)


class SyncFailed(Exception):
    """A sync did not complete; `run` holds the error, `permanent` whether retrying can help."""

    def __init__(self, run: SyncRun, cause: Exception) -> None:
        self.run = run
        self.permanent = getattr(cause, "permanent", True)
        super().__init__(run.error)


def kinds_from_datapoints(datapoints: Iterable[str]) -> list[Kind]:
    """The kinds we store among Smile's datapoint names (TRANSACTIONS etc. are not ours)."""
    wanted = {str(point).upper() for point in datapoints}
    return [kind for kind in ALL_KINDS if kind.value in wanted]


def _kinds_synced(account: LinkedAccount, **filters) -> set[str]:
    """The kinds that successful syncs of the account (narrowed by `filters`) committed."""
    runs = SyncRun.objects.filter(account=account, status=SyncRun.Status.SUCCEEDED, **filters)
    return {kind for kinds in runs.values_list("kinds", flat=True) for kind in kinds}


def kinds_never_synced(account: LinkedAccount) -> list[Kind]:
    """The kinds no successful sync of the account has pulled yet."""
    done = _kinds_synced(account)
    return [kind for kind in ALL_KINDS if kind.value not in done]


def sync_account(
    account: LinkedAccount,
    *,
    kinds: Iterable[Kind] = ALL_KINDS,
    trigger: str = SyncRun.Trigger.MANUAL,
    webhook_event: WebhookEvent | None = None,
    requested_by: AbstractBaseUser | None = None,
    client: SmileClient | None = None,
) -> SyncRun:
    """Pull every record of `kinds` for the account; raise SyncFailed if it could not."""
    kinds = list(dict.fromkeys(kinds))
    # The run is committed on its own first, so people can watch a sync that is under way.
    run = SyncRun.objects.create(
        account=account,
        kinds=[kind.value for kind in kinds],
        trigger=trigger,
        webhook_event=webhook_event,
        requested_by=requested_by,
    )
    own_client = client is None
    client = client or SmileClient.from_settings()
    try:
        fetched = {kind: _fetch(client, account, kind) for kind in kinds}
        with transaction.atomic():
            # One sync writes an account at a time; a second waits, then sees the first's rows.
            LinkedAccount.objects.select_for_update().filter(pk=account.pk).first()
            # Syncs fetch before they lock, so two of one account can overlap. One that
            # started after this one and has already written a kind holds the later copy
            # (a correction Smile made meanwhile): writing ours over it would bring back the
            # old values until the next refresh. Assumed: started later means fetched later,
            # which holds but for a sync that is slow on its first kinds; the next event or
            # refresh then catches up.
            superseded = _kinds_synced(account, started_at__gt=run.started_at)
            counts = {
                kind.value: (
                    {"created": 0, "updated": 0, "unchanged": 0, "superseded": len(records)}
                    if kind.value in superseded
                    else _upsert(account, kind, records)
                )
                for kind, records in fetched.items()
            }
            finished = timezone.now()
            LinkedAccount.objects.filter(pk=account.pk).update(last_synced_at=finished)
            SyncRun.objects.filter(pk=run.pk).update(
                status=SyncRun.Status.SUCCEEDED, counts=counts, finished_at=finished
            )
    except (SmileError, SyncConflict) as error:
        _record_failure(run, account, str(error))
        raise SyncFailed(run, error) from error
    except Exception as error:
        # Anything else (the database refusing a write, a bug) fails the run here too, with
        # what happened, rather than leaving it "running" for the sweeper to mislabel as a
        # dead worker. The transaction has rolled back; the error goes on with its traceback.
        _record_failure(run, account, f"{type(error).__name__}: {error}")
        raise
    finally:
        if own_client:
            client.close()
    run.refresh_from_db()
    account.last_synced_at = run.finished_at
    logger.info("synced account %s: %s", account.smile_id, run.counts)
    review.refresh_review_state(account.applicant)
    return run


def _record_failure(run: SyncRun, account: LinkedAccount, message: str) -> None:
    run.status = SyncRun.Status.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    logger.warning("sync of account %s failed: %s", account.smile_id, message)
    review.refresh_review_state(account.applicant)


class SyncConflict(Exception):
    """A record Smile sent for this account is already stored under another account."""

    permanent = True


def _fetch(client: SmileClient, account: LinkedAccount, kind: Kind) -> dict[str, Record]:
    smile_user_id = account.applicant.smile_user.smile_id
    records: dict[str, Record] = {}
    for record in client.iter_records(kind, source_id=account.smile_id, user_id=smile_user_id):
        if record.smile_id in records:
            # Pages that repeat an id must not crash the sync: the later copy wins.
            logger.warning(
                "account %s: %s record %s returned twice; keeping the later copy",
                account.smile_id,
                kind.value.lower(),
                record.smile_id,
            )
        records[record.smile_id] = record
    return records


def _upsert(account: LinkedAccount, kind: Kind, records: dict[str, Record]) -> dict[str, int]:
    model = MODELS[kind]
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = model.objects.in_bulk(list(records), field_name="smile_id")
    to_create, to_update = [], []
    for smile_id, record in records.items():
        values = record.model_fields()
        stored = existing.get(smile_id)
        if stored is None:
            to_create.append(model(account=account, **values))
            counts["created"] += 1
            continue
        if stored.account_id != account.pk:
            raise SyncConflict(
                f"{kind.value.lower()} record {smile_id} is already stored for another account"
            )
        if stored.raw == record.raw:
            counts["unchanged"] += 1
            continue
        for name, value in values.items():
            setattr(stored, name, value)
        stored.updated_at = timezone.now()
        to_update.append(stored)
        counts["updated"] += 1
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        names = [*records[to_update[0].smile_id].model_fields(), "updated_at"]
        names.remove("smile_id")
        model.objects.bulk_update(to_update, names, batch_size=500)
    return counts
