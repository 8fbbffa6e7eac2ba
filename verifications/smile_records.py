"""Parse what Smile's Open API returns into typed values, strictly where it matters.

A wrong id, date, amount or currency would mislead a reviewer, so those are checked and a bad
one raises `MalformedRecord` naming the record and the field. Everything else is taken as it
comes: Smile adds fields, and sends null where its spec promises a value (smile-api.md), so
optional text becomes "" and unknown keys are kept only in `raw`.

Every value must also fit the column it is stored in (`fit`): a number or an id too large for
its column is refused here, with the record named, rather than failing (or, on SQLite, being
stored and breaking every later read) inside the sync's transaction.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import models

from verifications.models import Contribution, Employment, EstimatedIncome, Identity, Income
from verifications.smile_values import (
    MalformedRecord,
    amount,
    currency,
    date,
    fit,
    instant,
    items,
    month,
    plain_json,
    smile_id,
    text,
)


class Kind(StrEnum):
    """The record kinds the portal pulls; values are Smile's datapoint names."""

    IDENTITIES = "IDENTITIES"
    EMPLOYMENTS = "EMPLOYMENTS"
    CONTRIBUTIONS = "CONTRIBUTIONS"
    INCOMES = "INCOMES"
    EINCOMES = "EINCOMES"

    @property
    def path(self) -> str:
        return "/" + self.value.lower()


MODELS: dict[Kind, type[models.Model]] = {
    Kind.IDENTITIES: Identity,
    Kind.EMPLOYMENTS: Employment,
    Kind.CONTRIBUTIONS: Contribution,
    Kind.INCOMES: Income,
    Kind.EINCOMES: EstimatedIncome,
}

_BARE_ID = re.compile(r"[0-9a-f]{32}", re.ASCII)

# Smile's id prefixes (smile-api.md). Its spec's own examples also show bare 32-hex ids for
# contributions and employments (the seed's placeholders); those are accepted, while an id with
# another kind's prefix, or any other shape, is refused.
RECORD_PREFIXES = {
    Kind.IDENTITIES: "i-",
    Kind.EMPLOYMENTS: "e-",
    Kind.CONTRIBUTIONS: "con-",
    Kind.INCOMES: "inc-",
    Kind.EINCOMES: "einc-",
}


def record_id(kind: Kind, value: Any) -> str:
    prefix = RECORD_PREFIXES[kind]
    if smile_id(value).startswith(prefix) or _BARE_ID.fullmatch(value):
        return value
    raise MalformedRecord(f"id {value!r:.80} is not a {kind.value.lower()} id ({prefix}…)")


@dataclass(frozen=True)
class Record:
    """Fields common to every data record (Smile's `metadata`)."""

    smile_id: str
    source_id: str
    user_id: str
    provider_id: str
    source_type: str
    smile_created_at: datetime.datetime | None
    raw: dict = field(repr=False)

    def model_fields(self) -> dict[str, Any]:
        """The values to store, keyed by model field name."""
        values = dict(self.__dict__)
        del values["source_id"], values["user_id"]
        return values


@dataclass(frozen=True)
class IdentityRecord(Record):
    full_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    gender: str = ""
    dob: datetime.date | None = None
    marital_status: str = ""
    country_residence: str = ""
    citizenship: str = ""
    reference_id: str = ""
    emails: list = field(default_factory=list)
    phones: list = field(default_factory=list)
    addresses: list = field(default_factory=list)


@dataclass(frozen=True)
class EmploymentRecord(Record):
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    reported_date: datetime.date | None = None
    employer: str = ""
    name: str = ""
    job_title: str = ""
    department: str = ""
    employee_number: str = ""
    employer_number: str = ""
    status: str = ""


@dataclass(frozen=True)
class ContributionRecord(Record):
    date: datetime.date | None = None
    currency: str = ""
    amount: Decimal | None = None
    reference_id: str = ""


@dataclass(frozen=True)
class IncomeRecord(Record):
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    work_item: str = ""
    employer: str = ""
    payment_method: str = ""
    currency: str = ""
    frequency: str = ""
    base_amount: Decimal | None = None
    gross_amount: Decimal | None = None
    net_amount: Decimal | None = None


@dataclass(frozen=True)
class EstimatedIncomeRecord(Record):
    month: datetime.date | None = None
    currency: str = ""
    amount: Decimal | None = None


def _metadata(raw: dict) -> dict[str, Any]:
    meta = raw.get("metadata")
    if not isinstance(meta, dict):
        raise MalformedRecord("metadata is missing")
    # `accountId` is the deprecated spelling of `sourceId` (smile-api.md).
    source = meta.get("sourceId") or meta.get("accountId")
    return {
        "smile_id": smile_id(raw.get("id")),
        # Not account_id(): a source may be an upload or archive too; the client compares it
        # with the account it asked for.
        "source_id": smile_id(source, "metadata.sourceId"),
        "user_id": text(meta.get("userId")),
        "provider_id": text(meta.get("providerId")),
        "source_type": text(meta.get("sourceType")),
        "smile_created_at": instant(meta.get("createdAt"), "metadata.createdAt"),
        "raw": plain_json(raw),
    }


def _identity(raw: dict) -> IdentityRecord:
    full_name = text(raw.get("fullName"))
    if not full_name:
        raise MalformedRecord("fullName is missing")
    return IdentityRecord(
        **_metadata(raw),
        full_name=full_name,
        first_name=text(raw.get("firstName")),
        middle_name=text(raw.get("middleName")),
        last_name=text(raw.get("lastName")),
        suffix=text(raw.get("suffix")),
        gender=text(raw.get("gender")),
        dob=date(raw.get("dob"), "dob", required=False),
        marital_status=text(raw.get("maritalStatus")),
        country_residence=text(raw.get("countryResidence")),
        citizenship=text(raw.get("citizenship")),
        reference_id=text(raw.get("referenceId")),
        emails=items(raw.get("emails"), "emails"),
        phones=items(raw.get("phones"), "phones"),
        addresses=items(raw.get("addresses"), "addresses"),
    )


def _employment(raw: dict) -> EmploymentRecord:
    start = date(raw.get("startDate"), "startDate")
    end = date(raw.get("endDate"), "endDate", required=False)
    if end is not None and end < start:
        raise MalformedRecord(f"endDate {end} is before startDate {start}")
    return EmploymentRecord(
        **_metadata(raw),
        start_date=start,
        end_date=end,
        reported_date=date(raw.get("reportedDate"), "reportedDate", required=False),
        employer=text(raw.get("employer")),
        name=text(raw.get("name")),
        job_title=text(raw.get("jobTitle")),
        department=text(raw.get("department")),
        employee_number=text(raw.get("employeeNumber")),
        employer_number=text(raw.get("employerNumber")),
        status=text(raw.get("status")),
    )


def _contribution(raw: dict) -> ContributionRecord:
    return ContributionRecord(
        **_metadata(raw),
        date=date(raw.get("date"), "date"),
        currency=currency(raw.get("currency")),
        amount=amount(raw.get("amount"), "amount"),
        reference_id=text(raw.get("referenceId")),
    )


def _income(raw: dict) -> IncomeRecord:
    return IncomeRecord(
        **_metadata(raw),
        start_date=date(raw.get("startDate"), "startDate"),
        end_date=date(raw.get("endDate"), "endDate", required=False),
        work_item=text(raw.get("workItem")),
        employer=text(raw.get("employer")),
        payment_method=text(raw.get("paymentMethod")),
        currency=currency(raw.get("currency")),
        frequency=text(raw.get("frequency")),
        base_amount=amount(raw.get("baseAmount"), "baseAmount", required=False),
        gross_amount=amount(raw.get("grossAmount"), "grossAmount", required=False),
        net_amount=amount(raw.get("netAmount"), "netAmount", required=False),
    )


def _estimated_income(raw: dict) -> EstimatedIncomeRecord:
    # `amount` replaced `baseAmount`; older data has only the latter (smile-api.md).
    value = raw.get("amount") if raw.get("amount") is not None else raw.get("baseAmount")
    return EstimatedIncomeRecord(
        **_metadata(raw),
        month=month(raw.get("month")),
        currency=currency(raw.get("currency")),
        amount=amount(value, "amount", required=False),
    )


PARSERS = {
    Kind.IDENTITIES: _identity,
    Kind.EMPLOYMENTS: _employment,
    Kind.CONTRIBUTIONS: _contribution,
    Kind.INCOMES: _income,
    Kind.EINCOMES: _estimated_income,
}


def parse_record(kind: Kind, raw: Any) -> Record:
    """Parse one item of a list page; raise MalformedRecord saying which record and why."""
    if not isinstance(raw, dict):
        raise MalformedRecord(f"a {kind.value.lower()} item is not an object: {raw!r:.80}")
    try:
        record_id(kind, raw.get("id"))
        record = PARSERS[kind](raw)
        fitted = fit(MODELS[kind], record.model_fields())
        return dataclasses.replace(record, **fitted)
    except MalformedRecord as error:
        label = raw.get("id") if isinstance(raw.get("id"), str) else "without an id"
        raise MalformedRecord(f"{kind.value.lower()} record {label:.80}: {error}") from None
