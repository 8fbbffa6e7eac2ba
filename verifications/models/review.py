"""Decisions and the audit log: written once, never changed or deleted."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from verifications.models.applicants import Applicant


def _refuse(model: type[models.Model], what: str) -> ValidationError:
    return ValidationError(f"{model._meta.verbose_name} records cannot be {what}.")


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk writes that would rewrite the evidence: refused, like a row's save and delete.

    The admin already offers no way to change these rows; this also stops code (a shell, a
    script, a careless migration) from `AuditEntry.objects.filter(...).update(...)` or
    `.delete()`. Raw SQL and database privileges are the remaining door, outside Django.
    """

    def update(self, **kwargs) -> int:
        raise _refuse(self.model, "changed")

    def bulk_update(self, objs, fields, batch_size=None) -> int:
        raise _refuse(self.model, "changed")

    def delete(self):
        raise _refuse(self.model, "deleted")


class AppendOnly(models.Model):
    """Rows that are written once and never changed or deleted (audit evidence)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise _refuse(type(self), "changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise _refuse(type(self), "deleted")


class Decision(AppendOnly):
    """A reviewer's decision on an applicant; the applicant's status follows the latest."""

    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        REQUEST_INFO = "request_info", "Request more information"

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason_code = models.CharField(max_length=50)
    note = models.TextField(blank=True)
    override_note = models.TextField(
        blank=True, help_text="Why approving despite stale data or an unresolved flag."
    )
    from_status = models.CharField(max_length=20, choices=Applicant.Status.choices)
    to_status = models.CharField(max_length=20, choices=Applicant.Status.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.applicant} ({self.reason_code})"

    @property
    def reason_label(self) -> str:
        """The reason as reviewers read it in DECISION_REASONS; the bare code once the list no
        longer holds it (the list is configurable, and old decisions keep the code they had)."""
        return settings.DECISION_REASONS.get(self.outcome, {}).get(
            self.reason_code, self.reason_code
        )


class AuditEntry(AppendOnly):
    """Who did what to which applicant, and who looked at their Smile data: never edited."""

    class Action(models.TextChoices):
        VIEWED_SMILE_DATA = "viewed_smile_data", "Viewed Smile data"
        VIEWED_HISTORY = "viewed_history", "Viewed employment history"
        EXPORTED = "exported", "Exported data"
        REPORT = "report", "Generated a verification report"
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Unassigned"
        DECIDED = "decided", "Decided"
        INVITE_SENT = "invite_sent", "Sent an invite"
        INVITE_REVOKED = "invite_revoked", "Revoked an invite"
        DATA_REFRESH = "data_refresh", "Requested a data refresh"
        STATED_CHANGED = "stated_changed", "Changed what the applicant stated"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30, choices=Action.choices, db_index=True)
    applicant = models.ForeignKey(
        Applicant, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    what = models.CharField(max_length=300, help_text="The page, record or change concerned.")
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.get_action_display()} {self.what}"
