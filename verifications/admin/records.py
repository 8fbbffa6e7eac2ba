"""Smile's data records, read-only."""

from django.contrib import admin

from verifications import models
from verifications.admin.base import ReadOnlyAdmin


class SmileRecordAdmin(ReadOnlyAdmin):
    list_filter = ["provider_id"]
    search_fields = ["smile_id", "account__smile_id", "account__applicant__last_name"]
    list_select_related = ["account"]


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
