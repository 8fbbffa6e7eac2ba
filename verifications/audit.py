"""The append-only audit log: one call records who did what, to whom, and when."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from verifications.models import Applicant, AuditEntry

Action = AuditEntry.Action


def record(
    actor: AbstractBaseUser | None,
    action: str,
    *,
    applicant: Applicant | None = None,
    what: str = "",
    **details: Any,
) -> AuditEntry:
    """Write one audit entry; `actor` None means the portal itself (a schedule, a webhook)."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        applicant=applicant,
        what=what[:300],
        details=details,
    )
