"""What Smile holds for an applicant: linked accounts and the records pulled from them.

Each mirrored object keeps Smile's id (unique) in `smile_id`, the raw JSON of the last fetch
in `raw`, and typed columns only for what is shown or queried (smile-api.md).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone

from verifications.models.applicants import Applicant


class LinkedAccount(models.Model):
    """An account the applicant connected in Wink (Smile's Account object)."""

    class ConnectionStatus(models.TextChoices):
        PENDING = "PENDING", "Pending"
        AWAITING_MFA = "AWAITING_MFA", "Awaiting verification code"
        ERROR = "ERROR", "Error"
        CONNECTED = "CONNECTED", "Connected"
        DISCONNECTED = "DISCONNECTED", "Disconnected"

    applicant = models.ForeignKey(
        Applicant, on_delete=models.PROTECT, related_name="linked_accounts"
    )
    smile_id = models.CharField("Smile account id", max_length=200, unique=True)
    provider_id = models.CharField(max_length=100)
    connection_status = models.CharField(
        max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    error_code = models.CharField(max_length=50, blank=True)
    error_message = models.TextField(blank=True)
    monitor_status = models.CharField(max_length=30, blank=True)
    task_error = models.CharField(
        max_length=200, blank=True, help_text="Error code of Smile's last failed data task."
    )
    login_name = models.CharField(max_length=200, blank=True)
    smile_created_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # The reviewers' queue offers a filter by provider on every page. Listing the providers
    # reads every linked account (PostgreSQL 15 has no skip scan for DISTINCT: ~40-90 ms at
    # 100,000 accounts, bench/README.md), and they change rarely, so the list is cached and
    # dropped once an account of a provider not in it is committed. A page that read the
    # table just before that commit can still cache the old list: the expiry bounds it.
    PROVIDERS_CACHE_KEY = "linked-account-providers"
    PROVIDERS_CACHE_SECONDS = 600

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.smile_id}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        providers = cache.get(self.PROVIDERS_CACHE_KEY)
        if providers is not None and self.provider_id not in providers:
            transaction.on_commit(lambda: cache.delete(self.PROVIDERS_CACHE_KEY))

    @classmethod
    def providers_in_use(cls) -> list[str]:
        """The providers of every linked account, sorted."""
        return cache.get_or_set(
            cls.PROVIDERS_CACHE_KEY,
            lambda: list(
                cls.objects.order_by("provider_id").values_list("provider_id", flat=True).distinct()
            ),
            cls.PROVIDERS_CACHE_SECONDS,
        )


class SmileRecord(models.Model):
    """Fields every data record fetched from the Open API carries (its `metadata`)."""

    smile_id = models.CharField("Smile id", max_length=200, unique=True)
    provider_id = models.CharField(max_length=100, blank=True)
    source_type = models.CharField(max_length=20, blank=True)
    smile_created_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(help_text="The record exactly as Smile returned it.")
    first_synced_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.smile_id


def _account_key(related_name: str) -> models.ForeignKey:
    # PROTECT: Smile deletes its copy on revocation; ours is the record that stays.
    return models.ForeignKey(LinkedAccount, on_delete=models.PROTECT, related_name=related_name)


class Identity(SmileRecord):
    account = _account_key("identities")
    full_name = models.CharField(max_length=300)
    first_name = models.CharField(max_length=150, blank=True)
    middle_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    suffix = models.CharField(max_length=20, blank=True)
    gender = models.CharField(max_length=20, blank=True)
    dob = models.DateField("date of birth", null=True, blank=True)
    marital_status = models.CharField(max_length=30, blank=True)
    country_residence = models.CharField(max_length=2, blank=True)
    citizenship = models.CharField(max_length=30, blank=True)
    reference_id = models.CharField(max_length=200, blank=True)
    emails = models.JSONField(default=list, blank=True)
    phones = models.JSONField(default=list, blank=True)
    addresses = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "identities"


class Employment(SmileRecord):
    account = _account_key("employments")
    employer = models.CharField(max_length=300, blank=True)
    name = models.CharField(max_length=300, blank=True)
    job_title = models.CharField(max_length=300, blank=True)
    department = models.CharField(max_length=300, blank=True)
    employee_number = models.CharField(max_length=100, blank=True)
    employer_number = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=100, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Empty while current.")
    reported_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["start_date"]


class Contribution(SmileRecord):
    account = _account_key("contributions")
    date = models.DateField(help_text="Month end when Smile does not know the day.")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    reference_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        indexes = [models.Index(fields=["account", "date"])]


class Income(SmileRecord):
    account = _account_key("incomes")
    work_item = models.CharField(max_length=300, blank=True)
    employer = models.CharField(max_length=300, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    payment_method = models.CharField(max_length=50, blank=True)
    currency = models.CharField(max_length=3)
    frequency = models.CharField(max_length=20, blank=True)
    base_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    gross_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    net_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["start_date"]


class EstimatedIncome(SmileRecord):
    account = _account_key("estimated_incomes")
    month = models.DateField(help_text="First day of the month the estimate is for.")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["month"]
