"""Link-connect invites: create, email, open, revoke, remind.

A token is 256 random bits shown once (in the email, or to the staff member who copies it)
and stored only as its SHA-256, so a database leak leaks no working link. Because we cannot
show a stored token again, resending and reminding both mint a new one, and the old link
stops working.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from verifications import audit
from verifications.models import Applicant, Invite
from verifications.smile import SmileError
from verifications.smile_users import ensure_smile_user

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32


class EmailFailed(Exception):
    """The invite email could not be handed to the mail server; nothing was changed."""


class InviteRefused(Exception):
    """The applicant may not get an invite (their status is final); nothing was sent."""


def refusal(applicant: Applicant) -> str:
    """Why `applicant` may not be invited, in words for staff; "" when they may."""
    if applicant.is_final:
        return (
            f"{applicant} is {applicant.get_status_display().lower()}, a final decision: "
            "no link-connect invite is sent."
        )
    return ""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def connect_url(token: str) -> str:
    return settings.SITE_URL + reverse("verifications:connect", args=[token])


def send_invite(
    *,
    applicant: Applicant,
    sent_by: AbstractBaseUser | None,
    email: bool = True,
    reminded_at: datetime.datetime | None = None,
) -> tuple[Invite, str]:
    """A new invite for the applicant, emailed unless `email=False`; return it and its link.

    Any earlier invite that still works is revoked, but only once the new one exists: the
    email goes out first, so a mail server that refuses it (EmailFailed) leaves the earlier
    link working and no new one behind. The reverse failure (the email went out, then the
    database write failed) would leave an emailed link that reads "unknown"; we accept that
    over holding a database transaction open while talking to the mail server.

    The Smile user is created first if an earlier attempt failed. A link works without one
    (the connect page tries again), so a failure here is only noted on
    `applicant.smile_user_error` for the caller to show.

    An approved or rejected applicant gets nothing (InviteRefused, no email): their
    application is closed, and a link would let the portal pull their data again.
    """
    applicant.refresh_from_db(fields=["status"])
    if why := refusal(applicant):
        raise InviteRefused(why)
    with contextlib.suppress(SmileError):  # logged and kept on the applicant
        ensure_smile_user(applicant)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    invite = Invite(
        applicant=applicant,
        token_hash=hash_token(token),
        created_by=sent_by,
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.INVITE_TTL_DAYS),
        reminded_at=reminded_at,
    )
    url = connect_url(token)
    if email:
        _email(invite, url, reminder=reminded_at is not None)
        invite.sent_at, invite.sent_to = timezone.now(), applicant.email
    with transaction.atomic():
        # Locked like review.decide() locks it: a final decision that committed while the
        # email went out revokes open invites, so this one must not be saved after it.
        applicant.status = (
            Applicant.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=applicant.pk)
        )
        if why := refusal(applicant):
            # The email is out, but its link was never saved: it reads "unknown".
            raise InviteRefused(why)
        _open_invites(applicant, now).update(revoked_at=now)
        invite.save()
        applicant.advance(Applicant.Status.INVITED)
        how = "emailed" if email else "link to copy"
        if reminded_at is not None:
            how = "reminder, " + how
        audit.record(
            sent_by,
            audit.Action.INVITE_SENT,
            applicant=applicant,
            what=f"invite {invite.pk}, {how}",
        )
    return invite, url


def _open_invites(applicant: Applicant, now: datetime.datetime) -> QuerySet[Invite]:
    """The applicant's links that still work (one used up by DONE may be in its grace)."""
    return Invite.objects.filter(
        Q(completed_at__isnull=True) | Q(completed_at__gt=now - Invite.DONE_GRACE),
        applicant=applicant,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )


def find_invite(token: str) -> Invite | None:
    if not token or len(token) > 100:
        return None
    return (
        Invite.objects.select_related("applicant", "applicant__smile_user")
        .filter(token_hash=hash_token(token))
        .first()
    )


def is_usable(invite: Invite) -> bool:
    return not invite.unusable_reason()


def mark_opened(invite: Invite) -> None:
    if invite.opened_at is None:
        invite.opened_at = timezone.now()
        Invite.objects.filter(pk=invite.pk, opened_at__isnull=True).update(
            opened_at=invite.opened_at
        )


def mark_completed(invite: Invite) -> None:
    """The applicant pressed DONE after connecting: the link is used up."""
    if invite.connected_at and invite.completed_at is None:
        invite.completed_at = timezone.now()
        Invite.objects.filter(pk=invite.pk).update(completed_at=invite.completed_at)


def revoke_invite(invite: Invite, *, by: AbstractBaseUser | None = None) -> bool:
    if invite.revoked_at is not None:
        return False
    invite.revoked_at = timezone.now()
    Invite.objects.filter(pk=invite.pk).update(revoked_at=invite.revoked_at)
    audit.record(
        by, audit.Action.INVITE_REVOKED, applicant=invite.applicant, what=f"invite {invite.pk}"
    )
    return True


def revoke_open_invites(applicant: Applicant, *, by: AbstractBaseUser | None, reason: str) -> int:
    """Stop every link of the applicant that still works, each audited; return how many.

    For a final decision: the application is closed, so no link may connect more accounts
    (and the portal then pull data for it). Call it inside the decision's transaction.
    """
    now = timezone.now()
    revoked = 0
    for invite in _open_invites(applicant, now):
        # Conditional, like a claim: a concurrent revoke or resend is not audited twice.
        if Invite.objects.filter(pk=invite.pk, revoked_at__isnull=True).update(revoked_at=now):
            audit.record(
                by,
                audit.Action.INVITE_REVOKED,
                applicant=applicant,
                what=f"invite {invite.pk}: {reason}",
            )
            revoked += 1
    return revoked


def send_reminders(now: datetime.datetime | None = None) -> int:
    """Remind applicants who have not opened their invite after INVITE_REMINDER_DAYS, once.

    The reminder carries a new link (we cannot show a stored token again); the first link
    then reads "a newer link may have been sent to you" instead of working. A reminder the
    mail server refuses changes nothing: it is logged and tried again on the next run.
    """
    now = now or timezone.now()
    due = (
        Invite.objects.select_related("applicant")
        .exclude(
            # Decided applicants' invites are revoked; this also covers ones decided before that.
            applicant__status__in=Applicant.FINAL_STATUSES
        )
        .filter(
            sent_at__lte=now - datetime.timedelta(days=settings.INVITE_REMINDER_DAYS),
            opened_at__isnull=True,
            reminded_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
    )
    sent = 0
    for invite in due:
        # Claimed with a conditional update, so two schedulers racing send one reminder;
        # released again if the email fails, so the next run retries it.
        claimed = Invite.objects.filter(pk=invite.pk, reminded_at__isnull=True)
        if not claimed.update(reminded_at=now):
            continue
        try:
            send_invite(applicant=invite.applicant, sent_by=None, reminded_at=now)
        except InviteRefused:
            continue  # decided since the query: stays claimed, never reminded
        except EmailFailed as error:
            Invite.objects.filter(pk=invite.pk, reminded_at=now).update(reminded_at=None)
            # The cause, not the message: it names the applicant's address.
            logger.warning(
                "reminder for invite %s not sent, retried next run: %r", invite.pk, error.__cause__
            )
            continue
        sent += 1
    return sent


def _email(invite: Invite, url: str, *, reminder: bool) -> None:
    applicant = invite.applicant
    context = {
        "applicant": applicant,
        "url": url,
        "lender": settings.LENDER_NAME,
        "expires_at": invite.expires_at,
        "reminder": reminder,
    }
    subject = render_to_string("verifications/email/invite_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("verifications/email/invite.txt", context),
        to=[applicant.email],
    )
    message.attach_alternative(
        render_to_string("verifications/email/invite.html", context), "text/html"
    )
    try:
        message.send()
    except OSError as error:  # smtplib's errors are OSErrors, like a refused connection
        raise EmailFailed(
            f"the email to {applicant.email} could not be sent ({error or type(error).__name__})"
        ) from error
    logger.info(
        "invite for applicant %s emailed (%s)", applicant.pk, "reminder" if reminder else "first"
    )
