"""Replaying stored webhook events: the admin action and `replay_webhooks` share this."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from verifications import webhook_processing, webhooks
from verifications.models import WebhookEvent

REPLAYABLE = webhooks.HANDLED_TYPES


def replay(
    events: Iterable[WebhookEvent], *, run_now: bool = False
) -> list[tuple[WebhookEvent, str]]:
    """Put events back in the queue (or process them here); ignored types stay ignored.

    An event being processed right now is left alone: replay never runs one twice at once.
    """
    results = []
    for event in events:
        now = timezone.now()
        if event.event_type not in REPLAYABLE:
            results.append((event, "skipped (type not handled)"))
            continue
        reset = (
            WebhookEvent.objects.filter(pk=event.pk)
            .exclude(
                status=WebhookEvent.Status.PROCESSING,
                claimed_at__gt=now - webhooks.processing_timeout(),
            )
            .update(
                status=WebhookEvent.Status.RETRYING,
                attempts=0,
                next_attempt_at=now,
                # Queued (or run) right below: the sweeper need not queue it as well.
                enqueued_at=now,
                last_error="",
            )
        )
        if not reset:
            results.append((event, "skipped (being processed)"))
        elif run_now:
            results.append((event, webhook_processing.process_event(event.pk) or "skipped"))
        else:
            webhooks.enqueue(event.pk)
            results.append((event, "queued"))
    return results
