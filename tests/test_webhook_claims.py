"""Claiming events for processing: a worker that keeps dying does not keep an event alive."""

import pytest
from django.utils import timezone

from verifications import webhooks
from verifications.models import WebhookEvent

pytestmark = pytest.mark.django_db


def stale_claim(attempts: int) -> WebhookEvent:
    """An event a worker took and never finished (killed, out of memory, over Q_TIMEOUT)."""
    return WebhookEvent.objects.create(
        smile_event_id=f"et-stale-{attempts}",
        event_type="TASK_FINISHED",
        body="{}",
        status=WebhookEvent.Status.PROCESSING,
        attempts=attempts,
        enqueued_at=timezone.now() - webhooks.processing_timeout() * 3,
        claimed_at=timezone.now() - webhooks.processing_timeout() * 2,
    )


def test_a_stale_claim_under_the_limit_is_taken_over():
    event = stale_claim(attempts=webhooks.MAX_ATTEMPTS - 1)
    assert webhooks.claim(event.pk) is not None
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processing", webhooks.MAX_ATTEMPTS)


def test_an_event_whose_worker_stopped_at_every_attempt_is_marked_failed(client, admin_user):
    event = stale_claim(attempts=webhooks.MAX_ATTEMPTS)
    assert event.pk in webhooks.due_for_processing().values_list("pk", flat=True)

    assert webhooks.claim(event.pk) is None
    event.refresh_from_db()
    assert event.status == "failed" and event.attempts == webhooks.MAX_ATTEMPTS
    assert "The worker stopped 5 times while processing this event" in event.last_error
    assert event.pk not in webhooks.due_for_processing().values_list("pk", flat=True)
    client.force_login(admin_user)
    inbox = client.get("/admin/verifications/webhookevent/?status__exact=failed").content.decode()
    assert "et-stale-5" in inbox


def test_a_live_claim_at_the_limit_is_left_to_its_worker():
    event = stale_claim(attempts=webhooks.MAX_ATTEMPTS)
    WebhookEvent.objects.filter(pk=event.pk).update(claimed_at=timezone.now())
    assert webhooks.claim(event.pk) is None
    event.refresh_from_db()
    assert event.status == "processing"
