"""Operating the Smile integration: the webhook inbox, sync runs, refused deliveries."""

import json

from django.contrib import admin, messages
from django.db.models import Sum
from django.utils import timezone
from django.utils.html import format_html

from verifications import models, webhook_replay
from verifications.admin.base import ReadOnlyAdmin

# Smile's bodies are one long line: wrap them, anywhere, rather than widen the page.
_PRE = '<pre style="white-space: pre-wrap; overflow-wrap: anywhere">{}</pre>'


@admin.register(models.WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    """The webhook inbox: every verified event Smile sent, and what became of it."""

    list_display = [
        "smile_event_id",
        "event_type",
        "status",
        "attempts",
        "deliveries",
        "applicant",
        "received_at",
        "processed_at",
    ]
    list_filter = ["status", "event_type", "received_at"]
    search_fields = ["smile_event_id", "smile_user_id", "smile_account_id", "applicant__last_name"]
    list_select_related = ["applicant"]
    date_hierarchy = "received_at"
    actions = ["replay_events"]
    fields = [
        ("smile_event_id", "event_type", "version"),
        ("status", "attempts", "deliveries"),
        "last_error",
        ("received_at", "event_created_at", "processed_at"),
        ("enqueued_at", "next_attempt_at"),
        ("smile_user_id", "smile_account_id", "applicant"),
        ("remote_ip", "headers"),
        "raw_body",
        "pretty_body",
    ]

    @admin.display(description="Body (as received)")
    def raw_body(self, event: models.WebhookEvent) -> str:
        # The exact text Smile signed (its UTF-8 bytes are what the signature covers), escaped
        # and wrapped but otherwise untouched: what a dispute or a signature check needs.
        return format_html(_PRE, event.body)

    @admin.display(description="Body (formatted)")
    def pretty_body(self, event: models.WebhookEvent) -> str:
        try:
            text = json.dumps(json.loads(event.body), indent=2, ensure_ascii=False)
        except ValueError:
            return "—"
        return format_html(_PRE, text)

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("verifications.replay_webhookevent")

    @admin.action(description="Replay selected events", permissions=["replay"])
    def replay_events(self, request, queryset) -> None:
        results = webhook_replay.replay(queryset)
        queued = sum(1 for _, outcome in results if outcome == "queued")
        skipped = len(results) - queued
        self.message_user(
            request, f"{queued} event(s) queued for processing again.", messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped (ignored types, or being processed right now).",
                messages.WARNING,
            )

    def changelist_view(self, request, extra_context=None):
        refused = models.WebhookRejection.objects.filter(day=timezone.localdate())
        extra_context = {
            **(extra_context or {}),
            "refused_today": refused.aggregate(total=Sum("count"))["total"] or 0,
        }
        return super().changelist_view(request, extra_context)


@admin.register(models.WebhookRejection)
class WebhookRejectionAdmin(ReadOnlyAdmin):
    list_display = ["day", "reason", "count"]
    list_filter = ["reason"]


@admin.register(models.SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "account",
        "applicant",
        "trigger",
        "status",
        "kinds",
        "summary",
        "started_at",
        "duration",
    ]
    list_filter = ["status", "trigger", "started_at"]
    search_fields = ["account__smile_id", "account__applicant__last_name", "error"]
    list_select_related = ["account__applicant"]
    date_hierarchy = "started_at"

    @admin.display(description="Applicant")
    def applicant(self, run: models.SyncRun):
        return run.account.applicant

    @admin.display(description="Records")
    def summary(self, run: models.SyncRun) -> str:
        return sync_summary(run)


def sync_summary(run: models.SyncRun) -> str:
    """'12 new, 3 updated, 80 unchanged', or the error of a failed run."""
    if run.status == models.SyncRun.Status.FAILED:
        return run.error
    if run.status == models.SyncRun.Status.RUNNING:
        return "running…"
    totals = {"created": 0, "updated": 0, "unchanged": 0, "superseded": 0}
    for counts in run.counts.values():
        for name in totals:
            totals[name] += counts.get(name, 0)
    summary = (
        f"{totals['created']} new, {totals['updated']} updated, {totals['unchanged']} unchanged"
    )
    if totals["superseded"]:
        summary += f", {totals['superseded']} left to a later sync"
    return summary
