"""Importing applicants from a CSV file (`manage.py import_applicants`).

A row's goal is an applicant with a Smile user and an invite. Running the import again
finishes what a row lacks (a Smile user that failed, an invite whose email failed) and never
mints a second link for a row that got one (the first run printed it), with one exception:
with `--send`, a row whose invite was never emailed and is still unused gets it emailed, as
a new link (the printed one then stops working: only its hash is stored, so it cannot be
emailed itself).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django import forms

from verifications import invites
from verifications.models import Applicant, Invite
from verifications.smile import SmileError
from verifications.smile_users import ensure_smile_user

COLUMNS = ("first_name", "last_name", "email", "phone", "reference")


class BadFile(ValueError):
    """The file as a whole cannot be read; nothing was imported."""


class ApplicantRowForm(forms.ModelForm):
    class Meta:
        model = Applicant
        fields = ["first_name", "last_name", "email", "phone", "external_reference"]


@dataclass
class RowResult:
    line: int
    outcome: str  # "created", "exists" or "error" (nothing was done)
    message: str
    applicant: Applicant | None = None
    link: str = ""
    email_failed: bool = False
    emailed: bool = False


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of a UTF-8 CSV whose header names our columns.

    The whole file is decoded and parsed before any row is imported, so a bad byte or a
    broken quote anywhere is reported (with its line) before anything is created.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BadFile(f"line {line} is not UTF-8 (byte {data[error.start]:#04x})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows, starts = [], 1  # a quoted field may span lines: a broken row is named by its first
    try:
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise BadFile(f"the header lacks {', '.join(missing)} (expected {','.join(COLUMNS)})")
        starts = reader.line_num + 1
        for row in reader:
            rows.append((reader.line_num, row))
            starts = reader.line_num + 1
    except csv.Error as error:
        raise BadFile(f"line {starts}: {error}") from None
    return rows


def import_row(line: int, row: dict[str, str], *, send: bool, created_by=None) -> RowResult:
    values = {name: (row.get(name) or "").strip() for name in COLUMNS}
    reference = values.pop("reference")
    if not reference:
        return RowResult(line, "error", "reference is empty (it makes the import repeatable)")
    existing = Applicant.objects.filter(external_reference=reference).first()
    if existing:
        return _finish_existing(line, existing, send=send, created_by=created_by)
    form = ApplicantRowForm({**values, "external_reference": reference})
    if not form.is_valid():
        problems = "; ".join(
            f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
        )
        return RowResult(line, "error", problems)
    applicant = form.save(commit=False)
    applicant.created_by = created_by
    applicant.save()
    result = RowResult(line, "created", f"{applicant} ({reference})", applicant)
    return _invite(result, send=send, created_by=created_by)


def _finish_existing(line: int, applicant: Applicant, *, send: bool, created_by) -> RowResult:
    result = RowResult(
        line,
        "exists",
        f"{applicant.external_reference} was imported before; skipped",
        applicant,
    )
    if not applicant.invites.exists():
        result.message = f"{applicant.external_reference} was imported before without an invite"
        return _invite(result, send=send, created_by=created_by)
    if send and _never_emailed(applicant):
        result.message = f"{applicant.external_reference} was imported before without --send"
        _invite(result, send=send, created_by=created_by)
        if result.emailed:
            result.message += " (a new link: the one printed then no longer works)"
        return result
    if not hasattr(applicant, "smile_user"):
        try:
            ensure_smile_user(applicant)
        except SmileError as error:
            result.message += f"; Smile user still not created ({error})"
        else:
            result.message += "; Smile user created now"
    return result


def _never_emailed(applicant: Applicant) -> bool:
    """The applicant's latest invite still works, unused, and was only printed."""
    latest: Invite | None = applicant.invites.order_by("-created_at").first()
    return (
        latest is not None
        and latest.sent_at is None
        and latest.connected_at is None
        and invites.is_usable(latest)
    )


def _invite(result: RowResult, *, send: bool, created_by) -> RowResult:
    """Send the row's invite (which first creates the Smile user); note what went wrong."""
    applicant = result.applicant
    try:
        _, result.link = invites.send_invite(applicant=applicant, sent_by=created_by, email=send)
    except invites.InviteRefused as error:
        result.message += f"; {error}"
        return result
    except invites.EmailFailed as error:
        result.email_failed = True
        result.message += f"; no invite was made, as {error}: import again to send it"
        return result
    if send:
        result.emailed = True
        result.message += "; invite emailed"
    if applicant.smile_user_error:
        result.message += (
            f"; Smile user not created yet ({applicant.smile_user_error}): it is tried again "
            "when the link is opened or on the next import"
        )
    return result
