"""The verification domain: applicants, what Smile returned for them, and how we got it.

Mirrored Smile objects keep Smile's id (unique) in `smile_id`, the raw JSON of the last
fetch in `raw`, and typed columns only for what is shown or queried (smile-api.md).
Behaviour that spans models lives in the workflow modules (invites, sync, webhooks, review).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

e164 = RegexValidator(
    r"^\+[1-9]\d{6,14}$", "Enter the phone number in international form, e.g. +639171234567."
)


class TransitionNotAllowed(Exception):
    """A status change the transition table does not allow."""


class Applicant(models.Model):
    """A person being verified, with what they told us about themselves."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        INVITED = "invited", "Invited"
        CONNECTED = "connected", "Connected, data arriving"
        READY = "ready", "Ready for review"
        MORE_INFO = "more_info", "More information requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    first_name = models.CharField(max_length=150)
    middle_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150)
    suffix = models.CharField(max_length=20, blank=True, help_text="Jr, Sr, III…")
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.TextField(blank=True)
    email = models.EmailField()
    phone = models.CharField(max_length=20, blank=True, validators=[e164])
    external_reference = models.CharField(
        max_length=100, blank=True, help_text="Your own reference, e.g. the loan application id."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    smile_user_error = models.TextField(
        blank=True, help_text="Why creating the Smile user failed; cleared once it succeeds."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_applicants",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # What review.refresh_review_state() last found, kept on the row so the reviewers' queue
    # can filter and sort 100,000 applicants without recomputing anyone's history.
    flag_identity_mismatch = models.BooleanField("identity mismatch", default=False)
    flag_employment_gap = models.BooleanField("employment gap", default=False)
    flag_missing_contributions = models.BooleanField("missing contributions", default=False)
    completeness = models.JSONField(
        default=dict, blank=True, help_text="Per kind: sync state and time of the last sync."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_reference"],
                condition=~Q(external_reference=""),
                name="unique_applicant_external_reference",
                violation_error_message="Another applicant already has this external reference.",
            )
        ]
        indexes = [
            models.Index(fields=["status", "assigned_to", "created_at"]),
            models.Index(fields=["assigned_to", "status"]),
        ]
        permissions = [
            ("send_invite", "Can send link-connect invites"),
            ("decide_applicant", "Can approve, reject or request more information"),
            ("supervise_review", "Can decide applicants assigned to someone else"),
            ("refresh_data", "Can refresh an applicant's Smile data"),
            ("view_smile_data", "Can view the data Smile returned"),
            ("view_employment_history", "Can view and export employment history"),
        ]

    # Which status may follow which. Decisions and the sync move applicants along these
    # edges only, through `set_status`; anything else is refused with a readable error.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.NEW: frozenset({Status.INVITED, Status.CONNECTED, Status.REJECTED}),
        Status.INVITED: frozenset({Status.CONNECTED, Status.REJECTED}),
        Status.CONNECTED: frozenset({Status.READY, Status.REJECTED}),
        Status.READY: frozenset({Status.APPROVED, Status.REJECTED, Status.MORE_INFO}),
        Status.MORE_INFO: frozenset(
            {Status.INVITED, Status.CONNECTED, Status.READY, Status.APPROVED, Status.REJECTED}
        ),
        Status.APPROVED: frozenset(),
        Status.REJECTED: frozenset(),
    }

    def __str__(self) -> str:
        return self.full_name

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    def set_status(self, status: str) -> str:
        """Move to `status` if the table allows it; return the status left behind."""
        if not self.can_move_to(status):
            allowed = ", ".join(
                str(self.Status(choice).label).lower()
                for choice in sorted(self.TRANSITIONS[self.status])
            )
            raise TransitionNotAllowed(
                f"An applicant who is {self.get_status_display().lower()} cannot become "
                f"{self.Status(status).label.lower()}"
                + (
                    f"; from here they can only become: {allowed}."
                    if allowed
                    else "; this is final."
                )
            )
        previous, self.status = self.status, status
        # Conditional on the status we read, so two concurrent moves cannot both win.
        moved = Applicant.objects.filter(pk=self.pk, status=previous).update(
            status=status, updated_at=timezone.now()
        )
        if not moved:
            self.status = previous
            raise TransitionNotAllowed(
                "The applicant's status changed meanwhile; reload and retry."
            )
        return previous

    def advance(self, status: str) -> bool:
        """Move forward if allowed, else stay (the system's automatic moves, never an error)."""
        try:
            self.set_status(status)
        except TransitionNotAllowed:
            return False
        return True

    @property
    def full_name(self) -> str:
        parts = [self.first_name, self.middle_name, self.last_name, self.suffix]
        return " ".join(part for part in parts if part)


class SmileUser(models.Model):
    """Smile's user for an applicant (`POST /users`); one per applicant."""

    applicant = models.OneToOneField(Applicant, on_delete=models.PROTECT, related_name="smile_user")
    smile_id = models.CharField("Smile user id", max_length=200, unique=True)
    external_metadata = models.JSONField(default=dict, blank=True)
    smile_created_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.smile_id


class Invite(models.Model):
    """A link-connect invitation. Only the SHA-256 of its token is stored."""

    class State(models.TextChoices):
        CREATED = "created", "Created"
        SENT = "sent", "Sent"
        OPENED = "opened", "Opened"
        CONNECTED = "connected", "Connected"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="invites")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_to = models.EmailField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="The applicant pressed DONE: the link is used up."
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invite for {self.applicant} ({self.get_state_display()})"

    @property
    def state(self) -> str:
        # Revocation and expiry end an invite whatever happened before, except that an
        # expired invite that was used to connect still reads "connected".
        if self.revoked_at:
            return self.State.REVOKED
        if self.connected_at:
            return self.State.CONNECTED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        if self.opened_at:
            return self.State.OPENED
        if self.sent_at:
            return self.State.SENT
        return self.State.CREATED

    def get_state_display(self) -> str:
        return self.State(self.state).label

    @classmethod
    def in_state(cls, state: str) -> Q:
        """The `state` property's rule as a filter, for lists and queues."""
        now = timezone.now()
        live = Q(revoked_at__isnull=True, connected_at__isnull=True)
        return {
            cls.State.REVOKED: Q(revoked_at__isnull=False),
            cls.State.CONNECTED: Q(revoked_at__isnull=True, connected_at__isnull=False),
            cls.State.EXPIRED: live & Q(expires_at__lte=now),
            cls.State.OPENED: live & Q(expires_at__gt=now, opened_at__isnull=False),
            cls.State.SENT: live
            & Q(expires_at__gt=now, opened_at__isnull=True, sent_at__isnull=False),
            cls.State.CREATED: live
            & Q(expires_at__gt=now, opened_at__isnull=True, sent_at__isnull=True),
        }[state]


class ConnectEvent(models.Model):
    """A callback the Wink widget fired on the connect page, as the browser reported it.

    Browser-reported, so never trusted for data: an account it names is checked with Smile.
    """

    class Name(models.TextChoices):
        ACCOUNT_CREATED = "onAccountCreated"
        ACCOUNT_CONNECTED = "onAccountConnected"
        ACCOUNT_REMOVED = "onAccountRemoved"
        ACCOUNT_ERROR = "onAccountError"
        TOKEN_EXPIRED = "onTokenExpired"  # noqa: S105 - a callback name, not a secret
        CLOSE = "onClose"
        UPLOADS_CREATED = "onUploadsCreated"
        UPLOADS_REMOVED = "onUploadsRemoved"
        UI_EVENT = "onUIEvent"

    invite = models.ForeignKey(Invite, on_delete=models.PROTECT, related_name="events")
    name = models.CharField(max_length=30, choices=Name.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name} at {self.created_at:%Y-%m-%d %H:%M:%S}"


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

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.smile_id}"


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


class AppendOnly(models.Model):
    """Rows that are written once and never changed or deleted (audit evidence)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError(f"{self._meta.verbose_name} records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{self._meta.verbose_name} records cannot be deleted.")


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
