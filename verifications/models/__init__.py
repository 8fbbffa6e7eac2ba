"""The verification domain's models, one module per concern; import them from here.

Behaviour that spans models lives in the workflow modules (invites, sync, webhooks, review).
"""

from verifications.models.applicants import (
    Applicant,
    ConnectEvent,
    Invite,
    SmileUser,
    TransitionNotAllowed,
    e164,
)
from verifications.models.operations import SyncRun, WebhookEvent, WebhookRejection
from verifications.models.review import AppendOnly, AuditEntry, Decision
from verifications.models.smile_data import (
    Contribution,
    Employment,
    EstimatedIncome,
    Identity,
    Income,
    LinkedAccount,
    SmileRecord,
)

__all__ = [
    "AppendOnly",
    "Applicant",
    "AuditEntry",
    "ConnectEvent",
    "Contribution",
    "Decision",
    "Employment",
    "EstimatedIncome",
    "Identity",
    "Income",
    "Invite",
    "LinkedAccount",
    "SmileRecord",
    "SmileUser",
    "SyncRun",
    "TransitionNotAllowed",
    "WebhookEvent",
    "WebhookRejection",
    "e164",
]
