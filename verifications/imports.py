"""Importing applicants from a CSV file (`manage.py import_applicants`)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django import forms

from verifications import invites
from verifications.models import Applicant
from verifications.smile import SmileError
from verifications.smile_users import ensure_smile_user

COLUMNS = ("first_name", "last_name", "email", "phone", "reference")


class ApplicantRowForm(forms.ModelForm):
    class Meta:
        model = Applicant
        fields = ["first_name", "last_name", "email", "phone", "external_reference"]


@dataclass
class RowResult:
    line: int
    outcome: str  # "created", "exists" or "error"
    message: str
    applicant: Applicant | None = None
    link: str = ""


def read_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header must name our columns."""
    reader = csv.DictReader(lines)
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"the header lacks {', '.join(missing)} (expected {','.join(COLUMNS)})")
    for row in reader:
        yield reader.line_num, row


def import_row(line: int, row: dict[str, str], *, send: bool, created_by=None) -> RowResult:
    values = {name: (row.get(name) or "").strip() for name in COLUMNS}
    reference = values.pop("reference")
    if not reference:
        return RowResult(line, "error", "reference is empty (it makes the import repeatable)")
    existing = Applicant.objects.filter(external_reference=reference).first()
    if existing:
        return RowResult(line, "exists", f"{reference} was imported before; skipped", existing)
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
    try:
        ensure_smile_user(applicant)
    except SmileError as error:
        result.message += f"; Smile user not created yet ({error}), no link"
        return result
    _, result.link = invites.send_invite(applicant=applicant, sent_by=created_by, email=send)
    return result
