"""Admin registrations. Workflows are called from here, never written here."""

from django.contrib import admin

from verifications import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """What Smile sent us, or what the portal recorded: evidence, not editable by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "external_reference", "status", "created_at"]
    list_filter = ["status"]
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "external_reference",
        "smile_user__smile_id",
        "linked_accounts__smile_id",
    ]
    readonly_fields = ["status", "smile_user_error", "created_by", "created_at", "updated_at"]
    fields = [
        ("first_name", "middle_name", "last_name", "suffix"),
        "date_of_birth",
        "address",
        ("email", "phone"),
        "external_reference",
        "status",
        "smile_user_error",
        ("created_by", "created_at", "updated_at"),
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Applicants are evidence of a decision; they are never deleted from the portal.
        return False


@admin.register(models.SmileUser)
class SmileUserAdmin(ReadOnlyAdmin):
    list_display = ["smile_id", "applicant", "created_at"]
    search_fields = ["smile_id"]


@admin.register(models.Invite)
class InviteAdmin(ReadOnlyAdmin):
    list_display = ["applicant", "state", "created_at", "sent_at", "opened_at", "expires_at"]
    exclude = ["token_hash"]

    @admin.display(description="State")
    def state(self, invite: models.Invite) -> str:
        return invite.get_state_display()


@admin.register(models.LinkedAccount)
class LinkedAccountAdmin(ReadOnlyAdmin):
    list_display = ["smile_id", "applicant", "provider_id", "connection_status", "last_synced_at"]
    list_filter = ["connection_status", "provider_id"]
    search_fields = ["smile_id", "applicant__last_name"]


class SmileRecordAdmin(ReadOnlyAdmin):
    list_filter = ["provider_id"]
    search_fields = ["smile_id", "account__smile_id"]


@admin.register(models.Identity)
class IdentityAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "full_name", "dob", "provider_id", "account"]


@admin.register(models.Employment)
class EmploymentAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "employer", "job_title", "start_date", "end_date", "account"]


@admin.register(models.Contribution)
class ContributionAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "date", "amount", "currency", "account"]


@admin.register(models.Income)
class IncomeAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "employer", "start_date", "gross_amount", "currency", "account"]


@admin.register(models.EstimatedIncome)
class EstimatedIncomeAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "month", "amount", "currency", "account"]


@admin.register(models.WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["smile_event_id", "event_type", "status", "attempts", "received_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["smile_event_id", "smile_user_id", "smile_account_id"]


@admin.register(models.SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["account", "trigger", "status", "started_at", "finished_at"]
    list_filter = ["status", "trigger"]


@admin.register(models.Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["applicant", "outcome", "reason_code", "decided_by", "decided_at"]
    list_filter = ["outcome"]
