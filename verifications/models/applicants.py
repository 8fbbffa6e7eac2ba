"""Applicants, their Smile users, and the invites that bring them to Smile."""

from __future__ import annotations

import datetime

from django.conf import settings
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
            # The reviewers' queue and "Next in my queue": ready applicants, oldest first.
            # Partial, because ready applicants are the newest: without it PostgreSQL walks
            # the created_at index past every decided applicant (85,000 rows at 100,000
            # applicants, bench/README.md).
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="ready"),
                name="applicant_ready_queue_idx",
            ),
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
    # A request for more information is left only by a decision or by a newly connected
    # account (more_info → connected → ready): a new invite keeps the status (the invite's
    # own state tells its story), or it would trap the applicant in "invited", where no
    # decision is possible; and data arriving for an account already connected does not
    # answer the request, or Smile's monthly sync would put the applicant back in the queue.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.NEW: frozenset({Status.INVITED, Status.CONNECTED, Status.REJECTED}),
        Status.INVITED: frozenset({Status.CONNECTED, Status.REJECTED}),
        Status.CONNECTED: frozenset({Status.READY, Status.REJECTED}),
        Status.READY: frozenset({Status.APPROVED, Status.REJECTED, Status.MORE_INFO}),
        Status.MORE_INFO: frozenset({Status.CONNECTED, Status.APPROVED, Status.REJECTED}),
        Status.APPROVED: frozenset(),
        Status.REJECTED: frozenset(),
    }

    # What the applicant told us: the identity comparison and every decision are made
    # against these, so their edits are audited and a final decision freezes them.
    STATED_FIELDS = (
        "first_name",
        "middle_name",
        "last_name",
        "suffix",
        "date_of_birth",
        "address",
        "email",
        "phone",
        "external_reference",
    )

    def __str__(self) -> str:
        return self.full_name

    # Approved and rejected: the statuses nothing follows (`is_final`, as a filter).
    FINAL_STATUSES = tuple(status for status, after in TRANSITIONS.items() if not after)

    @property
    def is_final(self) -> bool:
        """Approved or rejected: no status follows, and what was stated no longer changes."""
        return self.status in self.FINAL_STATUSES

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

    # After DONE the link keeps working a little while, so an applicant who remembers a
    # second account can add it from the thank-you page; then it is used up.
    DONE_GRACE = datetime.timedelta(minutes=30)

    @property
    def state(self) -> str:
        # The invite's story for staff: one used to connect still reads "connected" after it
        # expires. Whether the link still works is `unusable_reason`, not this.
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

    def unusable_reason(self, now: datetime.datetime | None = None) -> str:
        """Why the link no longer works ("revoked", "expired" or "used"); "" while it works.

        A link is a bearer credential for the applicant's Smile user (the page it opens asks
        for a user token), so it works only before `expires_at`, whatever happened with it.
        Connecting does not end it: an applicant who closed the widget may come back to add
        another account until then. DONE ends it early, after DONE_GRACE.
        """
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.completed_at and now >= self.completed_at + self.DONE_GRACE:
            return "used"
        if self.expires_at <= now:
            # Past its time, a link that did its job says so rather than "expired".
            return "used" if self.connected_at else "expired"
        return ""

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
