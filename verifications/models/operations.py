"""How data reaches us: webhook events, refused deliveries and sync runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from verifications.models.applicants import Applicant
from verifications.models.smile_data import LinkedAccount


class WebhookEvent(models.Model):
    """A webhook Smile delivered, stored (verified) before it is acknowledged."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, waiting to be processed"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"
        IGNORED = "ignored", "Ignored (type not used)"
        UNMATCHED = "unmatched", "Unmatched (unknown Smile user)"

    smile_event_id = models.CharField("Smile event id", max_length=200, unique=True)
    event_type = models.CharField(max_length=64, db_index=True)
    version = models.IntegerField(null=True, blank=True)
    event_created_at = models.DateTimeField(null=True, blank=True)
    body = models.TextField(help_text="The exact body Smile signed.")
    headers = models.JSONField(default=dict, blank=True)
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    smile_user_id = models.CharField(max_length=200, blank=True, db_index=True)
    smile_account_id = models.CharField(max_length=200, blank=True, db_index=True)
    applicant = models.ForeignKey(
        Applicant, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    deliveries = models.PositiveIntegerField(
        default=1, help_text="How many times Smile delivered this event."
    )
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its processing was last put on the task queue (the sweeper's guide).",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        permissions = [("replay_webhookevent", "Can replay webhook events")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.smile_event_id}"


class WebhookRejection(models.Model):
    """Deliveries refused for their signature, counted per day: the bodies are not kept."""

    class Reason(models.TextChoices):
        MISSING_SIGNATURE = "missing_signature", "Missing signature"
        BAD_SIGNATURE = "bad_signature", "Wrong signature"

    day = models.DateField()
    reason = models.CharField(max_length=30, choices=Reason.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "reason"], name="one_rejection_counter_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.get_reason_display()} ({self.count})"


class SyncRun(models.Model):
    """One pull of an account's records from the Open API: all-or-nothing."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        CONNECT = "connect", "Applicant connected"
        MANUAL = "manual", "Refresh requested"
        SCHEDULE = "schedule", "Scheduled refresh"
        COMMAND = "command", "Management command"

    account = models.ForeignKey(LinkedAccount, on_delete=models.PROTECT, related_name="sync_runs")
    kinds = models.JSONField(default=list)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    webhook_event = models.ForeignKey(
        WebhookEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    counts = models.JSONField(
        default=dict, blank=True, help_text="Per kind: records created, updated and unchanged."
    )
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Sync of {self.account} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at
