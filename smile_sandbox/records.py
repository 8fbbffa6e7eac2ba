"""Deterministic records: a pure function of (person, provider, account, user, today, time).

Ids are `<prefix><32 hex>` from sha256(account id, kind, natural key), so the same account
always yields the same ids and no two accounts share one. Everything else (amounts, payment
references) is seeded by person, provider and the record's natural key, never by the random
account id: connecting the same person twice gives the same figures. Amounts are JSON numbers
with at most two decimals. Contributions run from 2002-01 (or the first job) to the month
before `today`, one per employed month, dated on the month end.

How many records a kind has, against the client's page size of 150 (Smile's maximum):
- contributions: George's SSS account has more than 150 (monthly since 2002), so it pages;
- incomes: George's Upwork account has more than 150 (two hourly contracts billed weekly);
- identities: one per account by nature (an account is one person's login), never a page;
- employments: a handful per person (6 at most): a working life has not 150 employers;
- eincomes: one estimate a month for the last EINCOME_MONTHS months only.
The client's paging of the small kinds is tested with small page sizes.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta
from typing import Any

from smile_sandbox.careers import Gig, Job, Person
from smile_sandbox.providers import supported_kinds

PREFIXES = {
    "identities": "i-",
    "employments": "e-",
    "contributions": "con-",
    "incomes": "inc-",
    "eincomes": "einc-",
}
# The SSS online record starts here (older contributions are on paper). Over 20 years of
# months: more than one page of 150, so the portal's client really follows a cursor.
CONTRIBUTIONS_FROM = date(2002, 1, 1)
EINCOME_MONTHS = 24
# Pay periods a year, for a gig's monthly base amount; weekly is Upwork's hourly billing
# (Monday to Sunday).
PERIODS_PER_YEAR = {"Monthly": 12, "Semimonthly": 24, "Weekly": 52}

Record = dict[str, Any]


def record_id(account_id: str, kind: str, key: str) -> str:
    digest = hashlib.sha256(f"{account_id}|{kind}|{key}".encode()).hexdigest()
    return PREFIXES[kind] + digest[:32]


def money(value: float) -> int | float:
    """At most two decimals, and a whole amount as an integer (1375, not 1375.0)."""
    rounded = round(value + 1e-9, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after day's month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """The first day of each month from first's month to last's month, inclusive."""
    months = []
    current = date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def last_complete_month(today: date) -> date:
    return add_months(today, -1)


def _jitter(seed: str, spread: float) -> float:
    """A stable factor in [1 - spread, 1 + spread] so incomes vary from month to month."""
    value = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return 1 - spread + 2 * spread * value


# --- Social security ---------------------------------------------------------------------
# Total (employee + employer) contribution rate and monthly-salary-credit cap by year, roughly
# the SSS schedule: the amounts step when the salary or the schedule changes. Each entry
# holds for the years before its first number.
_SCHEDULE = (
    (2003, 0.084, 15000),
    (2007, 0.094, 15000),
    (2014, 0.104, 15000),
    (2019, 0.11, 16000),
    (2021, 0.12, 20000),
    (2023, 0.13, 25000),
    (2025, 0.14, 30000),
)
_LATEST = (0.15, 35000)


def contribution_amount(salary: float, year: int) -> int | float:
    rate, cap = _LATEST
    for before, schedule_rate, schedule_cap in _SCHEDULE:
        if year < before:
            rate, cap = schedule_rate, schedule_cap
            break
    credit = min(round(salary / 500) * 500, cap)
    return money(credit * rate)


def job_on(person: Person, month: date) -> Job | None:
    """The job covering any day of the month (the latest-started when two do)."""
    last = month_end(month.year, month.month)
    current = None
    for job in person.jobs:
        if job.start <= last and (job.end is None or job.end >= month):
            current = job
    return current


def contribution_months(person: Person, today: date) -> list[date]:
    if not person.jobs:
        return []
    first = max(CONTRIBUTIONS_FROM, min(job.start for job in person.jobs))
    return [
        month
        for month in months_between(first, last_complete_month(today))
        if f"{month:%Y-%m}" not in person.missed_months and job_on(person, month)
    ]


def contribution(
    person: Person, month: date, *, account_id: str, metadata: dict[str, Any]
) -> Record | None:
    """The contribution for one month, or None when nobody employed the person then."""
    job = job_on(person, month)
    if job is None:
        return None
    key = f"{month:%Y-%m}"
    day = month_end(month.year, month.month)
    # The payment reference is a fact of the payment, the same whichever account shows it.
    reference = hashlib.sha256(f"{person.key}|prn|{key}".encode()).hexdigest()[:7].upper()
    return {
        "id": record_id(account_id, "contributions", key),
        "date": day.isoformat(),
        "currency": "PHP",
        "amount": contribution_amount(job.salary_on(day), month.year),
        "referenceId": f"PR{reference}",
        "metadata": metadata,
    }


def _employment_from_job(job: Job, account_id: str, metadata: dict[str, Any]) -> Record:
    return {
        "id": record_id(account_id, "employments", f"{job.employer}|{job.start}"),
        "name": job.job_title,
        "description": job.description,
        "jobTitle": job.job_title,
        "department": job.department,
        "employeeNumber": job.employee_number,
        "employerNumber": job.employer_number,
        "employer": job.employer,
        "status": job.status,
        "startDate": job.start.isoformat(),
        "endDate": job.end.isoformat() if job.end else None,
        "reportedDate": (job.start + timedelta(days=15)).isoformat(),
        "metadata": metadata,
    }


def _employment_from_gig(gig: Gig, account_id: str, metadata: dict[str, Any]) -> Record:
    return {
        "id": record_id(account_id, "employments", f"{gig.client}|{gig.start}"),
        "name": gig.title,
        "description": gig.description,
        "jobTitle": gig.title,
        "department": None,
        "employeeNumber": None,
        "employerNumber": None,
        "employer": gig.client,
        "status": gig.status,
        "startDate": gig.start.isoformat(),
        "endDate": gig.end.isoformat() if gig.end else None,
        "reportedDate": gig.start.isoformat(),
        "metadata": metadata,
    }


def _pay_periods(gig: Gig, today: date) -> list[tuple[date, date]]:
    """The gig's pay periods (first and last day) that ended by the end of last month."""
    last = last_complete_month(today)
    if gig.end is not None:
        last = min(last, date(gig.end.year, gig.end.month, 1))
    periods: list[tuple[date, date]] = []
    if gig.frequency == "Weekly":
        # Whole Monday-to-Sunday weeks of the contract, as Upwork bills hourly work.
        until = month_end(last.year, last.month)
        if gig.end is not None:
            until = min(until, gig.end)
        monday = gig.start + timedelta(days=(7 - gig.start.weekday()) % 7)
        while monday + timedelta(days=6) <= until:
            periods.append((monday, monday + timedelta(days=6)))
            monday += timedelta(days=7)
    else:
        for month in months_between(gig.start, last):
            end = month_end(month.year, month.month)
            if gig.frequency == "Semimonthly":
                periods += [(month, month.replace(day=15)), (month.replace(day=16), end)]
            else:
                periods.append((month, end))
    if gig.history_months is not None:
        since = add_months(today, -gig.history_months)
        periods = [period for period in periods if period[0] >= since]
    return periods


def _gig_incomes(
    person: Person,
    provider_id: str,
    gig: Gig,
    today: date,
    account_id: str,
    metadata: dict[str, Any],
) -> list[Record]:
    base = gig.base * 12 / PERIODS_PER_YEAR[gig.frequency]
    incomes = []
    for start, end in _pay_periods(gig, today):
        key = f"{gig.client}|{start}"
        # Seeded by who, where and which period: the same figures on every connection.
        gross = base * _jitter(f"{person.key}|{provider_id}|{key}", 0.15)
        incomes.append(
            {
                "id": record_id(account_id, "incomes", key),
                "workItem": gig.title,
                "employer": gig.client,
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "paymentMethod": "Bank",
                "currency": gig.currency,
                "frequency": gig.frequency,
                "baseAmount": money(base),
                "grossAmount": money(gross),
                "netAmount": money(gross * (1 - gig.fee)),
                "metadata": metadata,
            }
        )
    return incomes


def generate(
    person: Person | None,
    provider_id: str,
    *,
    account_id: str,
    user_id: str,
    today: date,
    created_at: str,
) -> dict[str, list[Record]]:
    """Every record of an account, by kind; each kind the provider supports is present."""
    metadata = {
        "itemCreatedAt": created_at,
        "createdAt": created_at,
        "sourceId": account_id,
        "sourceType": "ACCOUNT",
        "userId": user_id,
        "providerId": provider_id,
    }
    records: dict[str, list[Record]] = {kind: [] for kind in supported_kinds(provider_id)}
    if person is None:
        return records
    gigs = person.gigs.get(provider_id, ())
    jobs = person.jobs if provider_id == "sss_ph" else ()
    if "identities" in records:
        reference_id = person.reference_ids.get(provider_id, person.default_reference_id)
        identity = _ordered_identity(
            {"id": record_id(account_id, "identities", "profile"), **person.identity}, reference_id
        )
        identity["metadata"] = metadata
        records["identities"].append(identity)
    if "employments" in records:
        records["employments"] += [_employment_from_job(job, account_id, metadata) for job in jobs]
        records["employments"] += [_employment_from_gig(gig, account_id, metadata) for gig in gigs]
    if "contributions" in records and jobs:
        for month in contribution_months(person, today):
            record = contribution(person, month, account_id=account_id, metadata=metadata)
            if record is not None:
                records["contributions"].append(record)
    if "incomes" in records:
        for gig in gigs:
            records["incomes"] += _gig_incomes(
                person, provider_id, gig, today, account_id, metadata
            )
    if "eincomes" in records and jobs:
        window_start = add_months(today, -EINCOME_MONTHS)
        for month in contribution_months(person, today):
            job = job_on(person, month)
            if month < window_start or job is None:
                continue
            amount = money(job.salary_on(month_end(month.year, month.month)))
            records["eincomes"].append(
                {
                    "id": record_id(account_id, "eincomes", f"{month:%Y-%m}"),
                    "month": f"{month:%Y-%m}",
                    "currency": "PHP",
                    "amount": amount,
                    "baseAmount": amount,  # deprecated twin of amount; the spec requires both
                    "metadata": metadata,
                }
            )
    for kind_records in records.values():
        for record in kind_records:
            record["metadata"] = dict(metadata)
    return records


_IDENTITY_ORDER = (
    "id",
    "fullName",
    "firstName",
    "middleName",
    "lastName",
    "suffix",
    "gender",
    "dob",
    "maritalStatus",
    "countryResidence",
    "citizenship",
    "photoUrl",
    "referenceId",
    "profileUrl",
    "emails",
    "phones",
    "socialProfiles",
    "addresses",
)


def _ordered_identity(fields: dict[str, Any], reference_id: str | None) -> Record:
    """Fields in the spec example's order (a human diffing the two sees the same shape)."""
    values = {**fields, "referenceId": reference_id}
    return {name: _copy(values.get(name)) for name in _IDENTITY_ORDER}


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [dict(item) if isinstance(item, dict) else item for item in value]
    return value
