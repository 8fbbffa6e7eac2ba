"""The shape of a sandbox person's working life: salaried jobs, gig contracts, an identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Job:
    """A salaried job, as the social-security office knows it."""

    employer: str
    job_title: str
    department: str | None
    start: date
    end: date | None
    # (from, monthly salary in PHP): the salary steps that drive contribution amounts.
    salary_steps: tuple[tuple[date, float], ...]
    employee_number: str | None = None
    employer_number: str | None = None
    status: str = "Permanent"
    description: str | None = None

    def salary_on(self, day: date) -> float:
        salary = self.salary_steps[0][1]
        for since, amount in self.salary_steps:
            if since <= day:
                salary = amount
        return salary


@dataclass(frozen=True)
class Gig:
    """A contract on a gig platform: an employment plus a stream of incomes."""

    client: str
    title: str
    start: date
    end: date | None
    base: float  # per month; a weekly or semimonthly period gets its share
    currency: str
    frequency: str = "Monthly"  # or "Semimonthly", "Weekly" (records.PERIODS_PER_YEAR)
    fee: float = 0.10  # the platform's cut, gross - net
    history_months: int | None = None  # the platform only shows this many recent months
    status: str = "Contract"
    description: str | None = None


@dataclass(frozen=True)
class Person:
    key: str
    password: str
    email: str
    phone: str  # E.164
    identity: dict[str, Any]  # the Identity fields, without id, referenceId and metadata
    reference_ids: dict[str, str | None] = field(default_factory=dict)
    default_reference_id: str | None = None
    jobs: tuple[Job, ...] = ()  # on sss_ph
    missed_months: frozenset[str] = frozenset()  # "YYYY-MM" with no contribution
    gigs: dict[str, tuple[Gig, ...]] = field(default_factory=dict)  # provider id -> contracts

    def providers_with_history(self) -> list[str]:
        return (["sss_ph"] if self.jobs else []) + list(self.gigs)


def address(
    line1: str,
    line2: str | None,
    city: str,
    region: str,
    zip_: str,
    country: str,
    latitude: str | None,
    longitude: str | None,
) -> dict[str, Any]:
    parts = [line1, line2, city, region, zip_, country]
    return {
        "fullAddress": ", ".join(part for part in parts if part),
        "line1": line1,
        "line2": line2,
        "city": city,
        "region": region,
        "zip": zip_,
        "country": country,
        "latitude": latitude,
        "longitude": longitude,
        "type": "Primary",
    }
