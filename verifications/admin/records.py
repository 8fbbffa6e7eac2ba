"""Smile's data records, read-only."""

from django.contrib import admin

from verifications import audit, models
from verifications.admin.base import ReadOnlyAdmin


class SmileRecordAdmin(ReadOnlyAdmin):
    """Smile's records; every look at them is written to the audit log."""

    list_filter = ["provider_id"]
    search_fields = ["smile_id", "account__smile_id", "account__applicant__last_name"]
    list_select_related = ["account"]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            what = request.get_full_path()
            audit.record(request.user, audit.Action.VIEWED_SMILE_DATA, what=what)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        record = self.get_object(request, object_id)
        if response.status_code == 200 and record is not None:
            audit.record(
                request.user,
                audit.Action.VIEWED_SMILE_DATA,
                applicant=record.account.applicant,
                what=f"{self.model._meta.verbose_name} {record.smile_id}",
            )
        return response


@admin.register(models.Identity)
class IdentityAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "full_name", "dob", "provider_id", "account"]


@admin.register(models.Employment)
class EmploymentAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "employer", "job_title", "start_date", "end_date", "account"]


@admin.register(models.Contribution)
class ContributionAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "date", "amount", "currency", "account"]
    date_hierarchy = "date"


@admin.register(models.Income)
class IncomeAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "employer", "start_date", "gross_amount", "currency", "account"]


@admin.register(models.EstimatedIncome)
class EstimatedIncomeAdmin(SmileRecordAdmin):
    list_display = ["smile_id", "month", "amount", "currency", "account"]
