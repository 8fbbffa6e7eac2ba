"""Parse what Smile's Open API returns into typed values, strictly where it matters.

A wrong id, date, amount or currency would mislead a reviewer, so those are checked and a bad
one raises `MalformedRecord` naming the record and the field. Everything else is taken as it
comes: Smile adds fields, and sends null where its spec promises a value (smile-api.md), so
optional text becomes "" and unknown keys are kept only in `raw`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


class MalformedRecord(ValueError):
    """A value Smile sent does not mean what its field says."""


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


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.~:-]{0,199}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def smile_id(value: Any, what: str = "id") -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise MalformedRecord(f"{what} {value!r} is not a Smile id")
    return value


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    # A number where text was expected (an employee number, say) still reads the same.
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise MalformedRecord(f"{value!r} is not text")


def date(value: Any, what: str, *, required: bool = True) -> datetime.date | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise MalformedRecord(f"{what} {value!r} is not a date (YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise MalformedRecord(f"{what} {value!r} is not a real date") from None


def month(value: Any, what: str = "month") -> datetime.date:
    match = _MONTH.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match[2]) <= 12:
        raise MalformedRecord(f"{what} {value!r} is not a month (YYYY-MM)")
    return datetime.date(int(match[1]), int(match[2]), 1)


def instant(value: Any, what: str, *, required: bool = False) -> datetime.datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise MalformedRecord(f"{what} {value!r} is not a date and time")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise MalformedRecord(f"{what} {value!r} is not a date and time") from None
    if parsed.tzinfo is None:
        # Smile documents every instant as UTC; a bare one is read as such.
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def amount(value: Any, what: str, *, required: bool = True) -> Decimal | None:
    if value is None and not required:
        return None
    # Bodies are parsed with Decimal for floats, so 7820.25 arrives exact.
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise MalformedRecord(f"{what} {value!r} is not an amount")
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise MalformedRecord(f"{what} {value!r} is not an amount") from None
    if not parsed.is_finite() or parsed != parsed.quantize(Decimal("0.01")):
        raise MalformedRecord(f"{what} {value!r} is not an amount in cents")
    return parsed


def currency(value: Any, what: str = "currency") -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise MalformedRecord(f"{what} {value!r} is not an ISO 4217 currency code")
    return value


def items(value: Any, what: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedRecord(f"{what} is not a list of objects")
    return value


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


def plain_json(value: Any) -> Any:
    """The same JSON value with Decimals as floats, as JSONField stores and returns it.

    Bodies are parsed with Decimal so amounts are exact in the typed columns; `raw` keeps the
    JSON value itself (a number stays a number), which floats represent for storage.
    """
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: plain_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_json(item) for item in value]
    return value


def _metadata(raw: dict) -> dict[str, Any]:
    meta = raw.get("metadata")
    if not isinstance(meta, dict):
        raise MalformedRecord("metadata is missing")
    # `accountId` is the deprecated spelling of `sourceId` (smile-api.md).
    source = meta.get("sourceId") or meta.get("accountId")
    return {
        "smile_id": smile_id(raw.get("id")),
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
        return PARSERS[kind](raw)
    except MalformedRecord as error:
        label = raw.get("id") if isinstance(raw.get("id"), str) else "without an id"
        raise MalformedRecord(f"{kind.value.lower()} record {label}: {error}") from None
