"""Decisions and the audit log: evidence, readable in the admin, editable by no one."""

from django.contrib import admin

from verifications import models
from verifications.admin.base import ReadOnlyAdmin


@admin.register(models.Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "applicant",
        "outcome",
        "reason_code",
        "from_status",
        "to_status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["outcome", "reason_code", "decided_at"]
    list_select_related = ["applicant", "decided_by"]
    search_fields = ["applicant__last_name", "applicant__external_reference", "note"]
    date_hierarchy = "decided_at"


@admin.register(models.AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "applicant", "what"]
    list_filter = ["action", "at"]
    list_select_related = ["actor", "applicant"]
    search_fields = [
        "actor__username",
        "applicant__last_name",
        "applicant__external_reference",
        "what",
    ]
    date_hierarchy = "at"
