"""Compliance review: the queue, what a reviewer sees about an applicant, and decisions.

Every rule about who may decide what lives here, so the admin, tests and any future API
refuse the same things with the same words.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from verifications import audit, history, invites
from verifications.identity_match import FieldComparison, Verdict, compare_identity
from verifications.models import (
    Applicant,
    AuditEntry,
    Decision,
    Identity,
    LinkedAccount,
    SyncRun,
    TransitionNotAllowed,
)
from verifications.smile_records import Kind

Status = Applicant.Status
Outcome = Decision.Outcome

OUTCOME_STATUS = {
    Outcome.APPROVE: Status.APPROVED,
    Outcome.REJECT: Status.REJECTED,
    Outcome.REQUEST_INFO: Status.MORE_INFO,
}
# The identity fields whose disagreement raises the identity-mismatch flag.
IDENTITY_FLAG_FIELDS = ("name", "date_of_birth")
# The kinds a reviewer needs before deciding, as the queue shows them.
COMPLETENESS_KINDS = {
    Kind.IDENTITIES: "Identity",
    Kind.EMPLOYMENTS: "Employment",
    Kind.CONTRIBUTIONS: "Contributions",
}


class DecisionRefused(Exception):
    """The reviewer may not take this decision; the message says why."""


def reason_choices(outcome: str) -> list[tuple[str, str]]:
    return list(settings.DECISION_REASONS.get(outcome, {}).items())


# --- Queue ----------------------------------------------------------------------------------


def may_supervise(user: AbstractBaseUser) -> bool:
    return user.has_perm("verifications.supervise_review")


def reviewers() -> QuerySet:
    """Active users who may decide: whom a supervisor can assign an applicant to."""
    User = get_user_model()
    perm = Q(codename="decide_applicant", content_type__app_label="verifications")
    holders = (
        Q(is_superuser=True)
        | Q(groups__permissions__in=Permission.objects.filter(perm))
        | Q(user_permissions__in=Permission.objects.filter(perm))
    )
    return (
        User.objects.filter(holders, is_active=True, is_staff=True).distinct().order_by("username")
    )


def _holder(applicant: Applicant) -> tuple[int | None, str | None]:
    """Who holds the applicant now, as stored: (user id, username) or (None, None)."""
    return Applicant.objects.values_list("assigned_to", "assigned_to__username").get(
        pk=applicant.pk
    )


def assign(applicant: Applicant, reviewer: AbstractBaseUser, *, by: AbstractBaseUser) -> Applicant:
    """Assign `applicant` to `reviewer`, or raise DecisionRefused saying why not.

    A reviewer takes only an unassigned applicant (or one already theirs): taking over a
    colleague's would let anyone decide anything with one extra click. A supervisor may
    assign to anyone and reassign. The update is conditional on the holder read first, like
    "Next in my queue": of two people assigning at once one wins, the other is told who has it.
    """
    if not reviewer.has_perm("verifications.decide_applicant"):
        raise DecisionRefused(f"{reviewer} is not a compliance reviewer.")
    _refuse_if_final(applicant)
    supervisor = may_supervise(by)
    if by != reviewer and not supervisor:
        raise DecisionRefused("Only a supervisor assigns applicants to someone else.")
    holder, holder_name = _holder(applicant)
    now = timezone.now()
    taken = holder in (None, reviewer.pk) or supervisor
    if taken:
        rows = Applicant.objects.filter(pk=applicant.pk, assigned_to=holder)
        taken = rows.update(assigned_to=reviewer, assigned_at=now)
    if not taken:
        holder_name = _holder(applicant)[1] or "someone else"
        raise DecisionRefused(
            f"{applicant} is already assigned to {holder_name}; "
            "only a supervisor reassigns an applicant."
            if not supervisor
            else f"{applicant} was just assigned to {holder_name}; reload the page and retry."
        )
    applicant.assigned_to, applicant.assigned_at = reviewer, now
    was = f" (was {holder_name})" if holder not in (None, reviewer.pk) else ""
    audit.record(
        by,
        audit.Action.ASSIGNED,
        applicant=applicant,
        what=f"to {reviewer}{was}",
        previous=holder_name,
    )
    return applicant


def _refuse_if_final(applicant: Applicant) -> None:
    """The assignment of a decided applicant records who decided: it no longer moves."""
    applicant.refresh_from_db(fields=["status"])
    if applicant.is_final:
        raise DecisionRefused(
            f"{applicant} is {applicant.get_status_display().lower()}, a final decision: "
            "their assignment no longer changes."
        )


def unassign(applicant: Applicant, *, by: AbstractBaseUser) -> None:
    _refuse_if_final(applicant)
    holder, holder_name = _holder(applicant)
    if holder is None:
        raise DecisionRefused(f"{applicant} is not assigned to anyone.")
    if holder != by.pk and not may_supervise(by):
        raise DecisionRefused("Only the assigned reviewer or a supervisor unassigns.")
    # Conditional on the holder read: never unassign someone who took it over meanwhile.
    rows = Applicant.objects.filter(pk=applicant.pk, assigned_to=holder)
    if not rows.update(assigned_to=None, assigned_at=None):
        raise DecisionRefused(f"{applicant}'s assignment just changed; reload the page and retry.")
    applicant.assigned_to = applicant.assigned_at = None
    audit.record(by, audit.Action.UNASSIGNED, applicant=applicant, what=f"from {holder_name}")


def next_in_queue(reviewer: AbstractBaseUser) -> Applicant | None:
    """Take the oldest unassigned applicant ready for review, and assign it to `reviewer`."""
    if not reviewer.has_perm("verifications.decide_applicant"):
        raise DecisionRefused(f"{reviewer} is not a compliance reviewer.")
    # Skip applicants the reviewer added or invited: four-eyes forbids them approving those, so
    # handing them one would only park it with someone who cannot finish it.
    waiting = Applicant.objects.filter(status=Status.READY, assigned_to__isnull=True).exclude(
        Q(created_by=reviewer) | Q(invites__created_by=reviewer)
    )
    oldest = waiting.order_by("created_at", "pk").values_list("pk", flat=True)
    # Conditional: two reviewers pressing "Next" at once never get the same applicant. When
    # another reviewer wins the oldest, it is no longer waiting and the loop reads the next
    # oldest; each lost round means someone else was served, so the loop ends.
    while (candidate := oldest.first()) is not None:
        taken = Applicant.objects.filter(pk=candidate, assigned_to__isnull=True).update(
            assigned_to=reviewer, assigned_at=timezone.now()
        )
        if taken:
            applicant = Applicant.objects.get(pk=candidate)
            audit.record(reviewer, audit.Action.ASSIGNED, applicant=applicant, what="next in queue")
            return applicant
    return None


# --- Decisions ------------------------------------------------------------------------------


def approval_concerns(
    applicant: Applicant,
    *,
    now: datetime.datetime | None = None,
    comparison: list[FieldComparison] | None = None,
) -> list[str]:
    """Why approving now needs an explicit override note (stale data, unresolved flags)."""
    now = now or timezone.now()
    concerns = []
    stale_before = now - datetime.timedelta(days=settings.DATA_STALE_DAYS)
    accounts = list(applicant.linked_accounts.filter(connection_status="CONNECTED"))
    if not accounts:
        concerns.append("No connected account.")
    for account in accounts:
        if account.last_synced_at is None or account.last_synced_at < stale_before:
            concerns.append(
                f"The data of {account.provider_id} is older than {settings.DATA_STALE_DAYS} days."
            )
    # The identity is compared now, not read from the stored flag: staff may have corrected
    # what the applicant stated since the last sync, one way or the other.
    if comparison is None:
        identities = Identity.objects.filter(account__applicant=applicant).defer("raw")
        comparison = compare_identity(applicant, list(identities))
    concerns.extend(identity_concerns(comparison))
    for field, label in flags(applicant):
        if field != "flag_identity_mismatch":
            concerns.append(f"Unresolved flag: {label.lower()}.")
    return concerns


def identity_concerns(comparison: list[FieldComparison]) -> list[str]:
    """What in the stated-vs-Smile comparison must be explained before approving.

    A name or date of birth that differs; and a date of birth with day and month swapped,
    which is likely a typing slip but leaves the true date unconfirmed. A partial name
    (middle name or suffix left out) is how people fill in forms and needs no note.
    """
    concerns = []
    for row in comparison:
        if row.field not in IDENTITY_FLAG_FIELDS:
            continue
        if row.verdict == Verdict.MISMATCH:
            why = "differs"
        elif row.field == "date_of_birth" and row.verdict == Verdict.PARTIAL:
            why = "has day and month swapped"
        else:
            continue
        concerns.append(
            f"Unresolved flag: identity mismatch, the {row.label.lower()} {why} "
            f"(stated {row.stated or '—'}, Smile {row.smile or '—'})."
        )
    for row in comparison:
        if row.field in IDENTITY_FLAG_FIELDS:
            concerns.extend(
                f"Unresolved flag: identity mismatch, the {row.label.lower()} on the "
                f"{provider} account differs "
                f"(stated {row.stated or '—'}, {provider} {value or '—'})."
                for provider, value in row.conflicts
            )
    return concerns


def decide(
    applicant: Applicant,
    *,
    reviewer: AbstractBaseUser,
    outcome: str,
    reason_code: str,
    note: str = "",
    override_note: str = "",
) -> Decision:
    """Record a decision and move the applicant's status, or raise DecisionRefused."""
    if not reviewer.has_perm("verifications.decide_applicant"):
        raise DecisionRefused("Only compliance reviewers decide.")
    if outcome not in OUTCOME_STATUS:
        raise DecisionRefused(f"Unknown outcome {outcome!r}.")
    if reason_code not in dict(reason_choices(outcome)):
        raise DecisionRefused(f"Choose one of the reasons for “{Outcome(outcome).label}”.")
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if applicant.assigned_to_id != reviewer.pk and not may_supervise(reviewer):
            raise DecisionRefused(
                "Only the reviewer this applicant is assigned to (or a supervisor) decides; "
                "assign it to yourself first."
            )
        if outcome == Outcome.APPROVE:
            _check_four_eyes(applicant, reviewer)
            concerns = approval_concerns(applicant)
            if concerns and not override_note.strip():
                raise DecisionRefused(
                    "Approving needs an override note explaining why, because: "
                    + " ".join(concerns)
                )
        to_status = OUTCOME_STATUS[outcome]
        try:
            from_status = applicant.set_status(to_status)
        except TransitionNotAllowed as error:
            raise DecisionRefused(str(error)) from error
        decision = Decision.objects.create(
            applicant=applicant,
            outcome=outcome,
            reason_code=reason_code,
            note=note,
            override_note=override_note.strip(),
            from_status=from_status,
            to_status=to_status,
            decided_by=reviewer,
        )
        audit.record(
            reviewer,
            audit.Action.DECIDED,
            applicant=applicant,
            what=f"{Outcome(outcome).label}: {reason_code}",
            from_status=from_status,
            to_status=to_status,
            override=bool(override_note.strip()),
        )
        if applicant.is_final:
            invites.revoke_open_invites(
                applicant,
                by=reviewer,
                reason=f"{applicant.get_status_display().lower()}, a final decision",
            )
    return decision


def _check_four_eyes(applicant: Applicant, reviewer: AbstractBaseUser) -> None:
    invited = applicant.invites.filter(created_by=reviewer).exists()
    if applicant.created_by_id == reviewer.pk or invited:
        raise DecisionRefused(
            "You added or invited this applicant, so another reviewer must approve them "
            "(four-eyes rule)."
        )


# --- What the reviewer sees -----------------------------------------------------------------


FLAG_FIELDS = {
    "flag_identity_mismatch": "Identity mismatch",
    "flag_employment_gap": "Employment gap",
    "flag_missing_contributions": "Missing contributions",
}


def flags(applicant: Applicant) -> list[tuple[str, str]]:
    return [(field, label) for field, label in FLAG_FIELDS.items() if getattr(applicant, field)]


@dataclass(frozen=True)
class Evidence:
    """The applicant page's view of Smile's data, beside what the applicant stated."""

    comparison: list[FieldComparison]
    history: history.History
    current_employers: list[str]
    current_tenure: str
    employers_last_24: int
    paid_last_12: int
    long_gaps: list[Any]
    average_contribution: str


def evidence(applicant: Applicant, *, today: datetime.date | None = None) -> Evidence:
    today = today or timezone.localdate()
    identities = list(Identity.objects.filter(account__applicant=applicant).defer("raw"))
    loaded = history.load_history(applicant, today=today)
    timeline = loaded.timeline
    window_start = history.add_months(today, -24)
    recent = {
        history.employer_key(job.employer)
        for job in timeline.jobs
        if job.last_day >= window_start and job.start <= today
    }
    current = loaded.figures.current_jobs
    return Evidence(
        comparison=compare_identity(applicant, identities),
        history=loaded,
        current_employers=[job.employer for job in current],
        current_tenure=", ".join(str(job.tenure) for job in current),
        employers_last_24=len(recent),
        paid_last_12=loaded.contributions.paid_last_12,
        long_gaps=list(timeline.long_gaps),
        average_contribution=", ".join(str(money) for money in loaded.contributions.averages),
    )


def refresh_review_state(applicant: Applicant, *, today: datetime.date | None = None) -> None:
    """Recompute the flags and data completeness the queue shows, after data changed."""
    today = today or timezone.localdate()
    found = evidence(applicant, today=today)
    identity_problem = bool(identity_concerns(found.comparison))
    recent_gap = any(gap.last_day >= history.add_months(today, -24) for gap in found.long_gaps)
    Applicant.objects.filter(pk=applicant.pk).update(
        flag_identity_mismatch=identity_problem,
        flag_employment_gap=recent_gap,
        flag_missing_contributions=found.history.contributions.missing_last_12 > 0,
        completeness=_completeness(applicant),
    )


def _completeness(applicant: Applicant) -> dict[str, dict[str, str]]:
    """Per kind the worst of each account's latest sync that covered it.

    Each account counts on its own, so SSS failing (the only source of contributions) is not
    hidden by Upwork syncing later: any failing account makes the kind "error", and the time
    is the oldest of those latest syncs, so one fresh account hides no other's old data (the
    display calls it stale). An account the applicant disconnected counts only when nothing
    else covers the kind: Smile deletes it, its sync can no longer fail or be fresh.
    """
    latest: dict[str, dict[int, SyncRun]] = {kind.value: {} for kind in COMPLETENESS_KINDS}
    gone = set(
        applicant.linked_accounts.filter(
            connection_status=LinkedAccount.ConnectionStatus.DISCONNECTED
        ).values_list("pk", flat=True)
    )
    runs = (
        SyncRun.objects.filter(account__applicant=applicant)
        .exclude(status=SyncRun.Status.RUNNING)
        .only("kinds", "status", "started_at", "finished_at", "account_id")
    )
    # A full sync covers every kind, so the latest few runs find each account's latest.
    for run in runs.order_by("-started_at", "-pk")[:200]:
        for kind in run.kinds:
            if kind in latest:
                latest[kind].setdefault(run.account_id, run)
    state: dict[str, dict[str, str]] = {}
    for kind, by_account in latest.items():
        live = [run for pk, run in by_account.items() if pk not in gone]
        runs = live or list(by_account.values())
        if not runs:
            continue
        failed = [run for run in runs if run.status != SyncRun.Status.SUCCEEDED]
        worst = failed or runs
        when = min(run.finished_at or run.started_at for run in worst)
        state[kind] = {"state": "error" if failed else "synced", "at": when.isoformat()}
    return state


def completeness_rows(applicant: Applicant, *, now: datetime.datetime | None = None) -> list[dict]:
    """For display: label, state (pending / synced / stale / error) and time, per kind."""
    now = now or timezone.now()
    stale_before = now - datetime.timedelta(days=settings.DATA_STALE_DAYS)
    rows = []
    for kind, label in COMPLETENESS_KINDS.items():
        entry = (applicant.completeness or {}).get(kind.value)
        if entry is None:
            rows.append({"label": label, "state": "pending", "at": None})
            continue
        at = datetime.datetime.fromisoformat(entry["at"])
        state = entry["state"]
        if state == "synced" and at < stale_before:
            state = "stale"
        rows.append({"label": label, "state": state, "at": at})
    return rows


def queue_filter_flag(flag: str) -> Q:
    if flag == "none":
        return Q(**{field: False for field in FLAG_FIELDS})
    return Q(**{flag: True})


def waiting_refresh(applicant: Applicant) -> AuditEntry | None:
    """The latest "Refresh data now" that no sync has started since: queued, no worker yet.

    The sync run is written when a worker starts the task, so until then only the audit
    entry of the request shows that something is on its way (or that no worker is running).
    """
    asked = (
        AuditEntry.objects.filter(applicant=applicant, action=AuditEntry.Action.DATA_REFRESH)
        .select_related("actor")
        .order_by("-at")
        .first()
    )
    if asked is None:
        return None
    started = SyncRun.objects.filter(
        account__applicant=applicant, trigger=SyncRun.Trigger.MANUAL, started_at__gte=asked.at
    )
    return None if started.exists() else asked
