"""Smile webhooks: verify, store, acknowledge; process later, exactly once, in a worker.

The receiving half runs inside the request and does as little as possible: check the
signature in constant time, check the shape, store the event keyed by Smile's event id, and
enqueue its processing after commit. A repeated delivery finds the stored row and is only
counted. The processing half claims an event with a conditional update, so however many
times it is enqueued, one worker processes it; a failure is retried with backoff and, past
the limit, the event is marked failed with its error for the admin's webhook inbox.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from verification_portal import health
from verifications import background
from verifications.models import WebhookEvent, WebhookRejection
from verifications.smile_errors import SmileRateLimited

logger = logging.getLogger(__name__)

# Types we act on; any other is stored and marked ignored (smile-api.md lists many more).
ACCOUNT_EVENTS = {"ACCOUNT_CREATED", "ACCOUNT_CONNECTED", "ACCOUNT_FAILED", "ACCOUNT_DISCONNECTED"}
TASK_EVENTS = {"TASK_FINISHED", "ACCOUNT_SYNC_TASK_FINISHED"}
DATA_EVENTS = {
    "IDENTITY_ADDED": "IDENTITIES",
    "EMPLOYMENTS_ADDED": "EMPLOYMENTS",
    "EMPLOYMENTS_UPDATED": "EMPLOYMENTS",
    "CONTRIBUTIONS_ADDED": "CONTRIBUTIONS",
    "CONTRIBUTIONS_UPDATED": "CONTRIBUTIONS",
    "INCOMES_ADDED": "INCOMES",
    "INCOMES_UPDATED": "INCOMES",
    "EINCOMES_ADDED": "EINCOMES",
    "EINCOMES_UPDATED": "EINCOMES",
}
HANDLED_TYPES = ACCOUNT_EVENTS | TASK_EVENTS | set(DATA_EVENTS)

STORED_HEADERS = (
    "Content-Type",
    "Content-Length",
    "User-Agent",
    "Smile-Signature",
    "X-Forwarded-For",
)
MAX_ATTEMPTS = 5


class InvalidEvent(ValueError):
    """The body is not a Smile event (not JSON, or a required field is missing)."""


def signature_is_valid(body: bytes, signature: str | None) -> bool:
    """Is `signature` the hex HMAC-SHA512 of the exact body under a configured secret?"""
    secrets = [
        secret
        for secret in (settings.SMILE_WEBHOOK_SECRET, settings.SMILE_WEBHOOK_SECRET_PREVIOUS)
        if secret
    ]
    if not secrets or not signature:
        return False
    presented = signature.strip().lower().encode()
    valid = False
    # Compare against every secret, without stopping early, so timing says nothing.
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha512).hexdigest().encode()
        valid |= hmac.compare_digest(expected, presented)
    return valid


def record_rejection(reason: str) -> None:
    """Count a refused delivery (bad or missing signature); the body itself is not kept."""
    today = timezone.localdate()
    with transaction.atomic():
        counter, _ = WebhookRejection.objects.get_or_create(day=today, reason=reason)
        WebhookRejection.objects.filter(pk=counter.pk).update(count=F("count") + 1)


def parse_event(body: bytes) -> dict[str, Any]:
    """The event as a dict, or InvalidEvent saying what is wrong with it."""
    try:
        # UTF-8 only (RFC 8259 for JSON between systems): json.loads would also take the bytes
        # of UTF-16 or UTF-32, which the body column cannot then hold as the text Smile signed.
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEvent("the body is not UTF-8 text") from None
    try:
        event = json.loads(text)
    except ValueError:
        raise InvalidEvent("the body is not JSON") from None
    if not isinstance(event, dict):
        raise InvalidEvent("the body is not a JSON object")
    missing = [name for name in ("id", "type", "createdAt", "data") if name not in event]
    if missing:
        raise InvalidEvent(f"the event lacks {', '.join(missing)}")
    if not isinstance(event["id"], str) or not event["id"].strip():
        raise InvalidEvent("the event id is not a string")
    if not isinstance(event["type"], str) or not event["type"]:
        raise InvalidEvent("the event type is not a string")
    # Values that could not be stored would fail the insert with a 500, which Smile answers
    # by resending the same event twice and then dropping it: refuse them plainly instead.
    for name, column in (("id", "smile_event_id"), ("type", "event_type")):
        if len(event[name]) > (limit := _column_length(column)):
            raise InvalidEvent(f"the event {name} is longer than {limit} characters")
        if "\x00" in event[name]:
            raise InvalidEvent(f"the event {name} contains a NUL character")
    if not isinstance(event["data"], dict):
        raise InvalidEvent("the event data is not an object")
    if _instant(event["createdAt"]) is None:
        raise InvalidEvent("the event createdAt is not a date and time")
    return event


def _column_length(field: str) -> int:
    return WebhookEvent._meta.get_field(field).max_length


def _fits(value: Any, field: str) -> str:
    """A text value as its column can hold it: NUL removed (PostgreSQL refuses it), cut to
    the column's length. Only the ids we index are cut; the raw body keeps the original."""
    text = (value if isinstance(value, str) else "").replace("\x00", "")
    return text[: _column_length(field)]


def store_event(
    *, body: bytes, headers: Mapping[str, str], remote_ip: str | None
) -> tuple[WebhookEvent, bool]:
    """Store a verified event; return it and whether this delivery was the first."""
    event = parse_event(body)
    data = event["data"]
    handled = event["type"] in HANDLED_TYPES
    fields = {
        "event_type": event["type"],
        "version": _version(event.get("version")),
        "event_created_at": _instant(event["createdAt"]),
        "body": body.decode(),
        "headers": {name: headers[name] for name in STORED_HEADERS if name in headers},
        "remote_ip": remote_ip,
        "smile_user_id": _fits(data.get("userId"), "smile_user_id"),
        "smile_account_id": _fits(
            data.get("accountId") or data.get("sourceId"), "smile_account_id"
        ),
        "status": WebhookEvent.Status.RECEIVED if handled else WebhookEvent.Status.IGNORED,
        # Queued right after this insert commits; written now, not after, to spare the
        # acknowledgement a query (a few ms early is what QUEUE_CLOCK_MARGIN allows for).
        "enqueued_at": timezone.now() if handled else None,
    }
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(smile_event_id=event["id"], **fields)
            if stored.status == WebhookEvent.Status.RECEIVED:
                transaction.on_commit(lambda: _enqueue_stored(stored))
    except IntegrityError:
        # Delivered before (or right now, by a concurrent request): count it, change nothing.
        WebhookEvent.objects.filter(smile_event_id=event["id"]).update(
            deliveries=F("deliveries") + 1
        )
        logger.info("webhook %s %s delivered again", event["type"], event["id"])
        return WebhookEvent.objects.get(smile_event_id=event["id"]), False
    logger.info("webhook %s %s stored as %s", event["type"], event["id"], stored.status)
    return stored, True


def _enqueue_stored(event: WebhookEvent) -> None:
    """Queue a just-stored event; if the broker is down, still acknowledge it.

    The event is committed, so nothing is lost: the sweeper (requeue_due) queues it once the
    broker is back. Answering 500 instead would only make Smile resend it, and the resend
    would be acknowledged as a duplicate anyway.
    """
    try:
        enqueue(event.pk)
    except Exception as error:  # whatever the broker raises (redis, database, network)
        logger.warning(
            "webhook %s %s stored, but queueing it failed (%s: %s); the sweeper queues it later",
            event.event_type,
            event.smile_event_id,
            type(error).__name__,
            error,
        )
        # It never reached the queue: say so, and the sweeper need not wait for a backlog.
        with contextlib.suppress(DatabaseError):
            WebhookEvent.objects.filter(pk=event.pk).update(enqueued_at=None)


def enqueue(event_pk: int) -> None:
    background.enqueue(
        "verifications.tasks.process_webhook_event",
        event_pk,
        task_name=f"webhook-{event_pk}",
        group="webhooks",
    )


# --- Processing -----------------------------------------------------------------------------


def claim(event_pk: int) -> WebhookEvent | None:
    """Take an event for processing, or None if it is done or someone else holds it."""
    now = timezone.now()
    stale = now - processing_timeout()
    # A claim gone stale means the worker stopped mid-way (killed, out of memory, over
    # Q_TIMEOUT) and never reached `fail`: count those stops against the same limit, or an
    # event that kills its worker would be taken up again for ever and never show as failed.
    given_up = WebhookEvent.objects.filter(
        pk=event_pk,
        status=WebhookEvent.Status.PROCESSING,
        claimed_at__lt=stale,
        attempts__gte=MAX_ATTEMPTS,
    ).update(
        status=WebhookEvent.Status.FAILED,
        next_attempt_at=None,
        last_error=(
            f"The worker stopped {MAX_ATTEMPTS} times while processing this event (killed, or "
            "over Q_TIMEOUT); replay it once the cause is fixed."
        ),
    )
    if given_up:
        logger.warning("webhook event %s failed: its worker kept stopping", event_pk)
        return None
    claimed = WebhookEvent.objects.filter(
        Q(status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.RETRYING])
        # A worker that died mid-way leaves "processing" behind; take it over once stale.
        | Q(status=WebhookEvent.Status.PROCESSING, claimed_at__lt=stale),
        pk=event_pk,
    ).update(status=WebhookEvent.Status.PROCESSING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return WebhookEvent.objects.get(pk=event_pk)


def processing_timeout() -> datetime.timedelta:
    """How long a claim holds: between a task's time limit and its redelivery.

    Longer than a task may run (django-q2 stops it at `timeout`), so a live worker is never
    robbed of an event; shorter than `retry`, so when the broker hands the task of a dead
    worker out again, the claim it left has gone stale and the event is taken over.
    """
    timeout, retry = settings.Q_CLUSTER["timeout"], settings.Q_CLUSTER["retry"]
    return datetime.timedelta(seconds=(timeout + retry) / 2)


def finish(event: WebhookEvent, status: str, *, applicant=None, note: str = "") -> None:
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status,
        applicant=applicant,
        processed_at=timezone.now(),
        last_error=note,
        next_attempt_at=None,
    )


def fail(event: WebhookEvent, error: Exception, *, permanent: bool) -> str:
    """Record a failed attempt: retry later with backoff, or give up at the limit."""
    message = f"{type(error).__name__}: {error}"
    if permanent or event.attempts >= MAX_ATTEMPTS:
        status, next_attempt = WebhookEvent.Status.FAILED, None
    else:
        # 30 s, 2 min, 8 min, 32 min: Smile's outages are usually short, ours too. When
        # Smile said how long to wait (429 Retry-After), not before that.
        seconds = 30 * 4 ** (event.attempts - 1)
        if isinstance(error, SmileRateLimited) and error.retry_after:
            seconds = max(seconds, error.retry_after)
        delay = datetime.timedelta(seconds=seconds)
        status, next_attempt = WebhookEvent.Status.RETRYING, timezone.now() + delay
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status, last_error=message, next_attempt_at=next_attempt
    )
    logger.warning(
        "webhook %s attempt %d failed: %s", event.smile_event_id, event.attempts, message
    )
    return status


# How long after being stored an event with no worker on it counts as lost: far longer than
# the moment from commit to a free worker when the queue is short.
LOST_AFTER = datetime.timedelta(minutes=2)
# Allowance between the clock that stamped enqueued_at and the broker's stamp on the task.
QUEUE_CLOCK_MARGIN = datetime.timedelta(minutes=1)


def due_for_processing(now: datetime.datetime | None = None):
    """Events whose processing was lost or is due again: what the sweeper re-enqueues.

    An event whose task is still waiting on the queue is not due, however long the backlog:
    queueing it again each minute would only pile up copies behind it. The queue is first in,
    first out, so a task queued before the oldest one still waiting has been taken by a
    worker; if its event is still unprocessed, that task was lost (a worker died, the broker
    was flushed or down). A task queued after it may still be waiting, so it is left alone.
    """
    now = now or timezone.now()
    lost_before = now - LOST_AFTER
    oldest_waiting = health.oldest_queued_task_at()
    if oldest_waiting is not None:
        lost_before = min(lost_before, oldest_waiting - QUEUE_CLOCK_MARGIN)
    not_waiting = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost_before)
    Status = WebhookEvent.Status
    received = Q(status=Status.RECEIVED, received_at__lt=now - LOST_AFTER) & not_waiting
    # A retry is due once its time has come, unless it was queued since.
    retry = Q(status=Status.RETRYING, next_attempt_at__lte=now) & (
        not_waiting | Q(enqueued_at__lt=F("next_attempt_at"))
    )
    # A claim gone stale is a worker that died with the event; queue it once more.
    abandoned = Q(status=Status.PROCESSING, claimed_at__lt=now - processing_timeout()) & (
        not_waiting | Q(enqueued_at__lt=F("claimed_at"))
    )
    return WebhookEvent.objects.filter(received | retry | abandoned)


def requeue_due() -> int:
    pks = list(due_for_processing().values_list("pk", flat=True)[:500])
    for pk in pks:
        enqueue(pk)
    # Stamped after queueing, so the stamp is never earlier than the broker's own.
    WebhookEvent.objects.filter(pk__in=pks).update(enqueued_at=timezone.now())
    return len(pks)


def _instant(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    try:
        return parsed.astimezone(datetime.UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 has no UTC time
        return None


def _version(value: Any) -> int | None:
    """The event's schema version if it is one the column holds (a 32-bit integer)."""
    if isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31:
        return value
    return None
