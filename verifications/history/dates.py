"""Calendar arithmetic for histories: months, tenure, local dates, money."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

date = datetime.date
ONE_DAY = datetime.timedelta(days=1)


# --- Calendar arithmetic -----------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month (Jan 31 + 1 = Feb 28)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def whole_months(start: date, end_exclusive: date) -> int:
    """Complete months from `start` up to (not including) `end_exclusive`."""
    if end_exclusive <= start:
        return 0
    n = (end_exclusive.year - start.year) * 12 + end_exclusive.month - start.month
    while n > 0 and add_months(start, n) > end_exclusive:
        n -= 1
    return n


def month_index(day: date) -> int:
    """A month as one integer, so month ranges are plain integer ranges."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def local_date(instant: datetime.datetime, tz: datetime.tzinfo | None = None) -> date:
    """The portal's calendar date of an aware instant (2024-01-31T20:00Z is Feb 1 in Manila)."""
    return timezone.localtime(instant, tz).date()


def format_instant(instant: datetime.datetime | None) -> str:
    """'2026-12-01 16:59 UTC+08:00': local time with its offset from UTC.

    Never the zone's abbreviation: tzdata calls Manila's time "PST", which readers take for
    Pacific time, and an offset means the same thing to everyone.
    """
    if instant is None:
        return ""
    local = timezone.localtime(instant)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:5]}"


class Tenure(NamedTuple):
    total_months: int

    @property
    def years(self) -> int:
        return self.total_months // 12

    @property
    def months(self) -> int:
        return self.total_months % 12

    def __str__(self) -> str:
        parts = []
        if self.years:
            parts.append(f"{self.years} year{'s' if self.years != 1 else ''}")
        if self.months or not self.years:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        return " ".join(parts)


def span(start: date, last_day: date) -> Tenure:
    """Complete months of an inclusive interval (Jan 15 to Feb 14 is one month)."""
    return Tenure(whole_months(start, last_day + ONE_DAY))


def span_text(start: date, last_day: date) -> str:
    """An inclusive interval in complete months and the days left over: '3 months 1 day'."""
    tenure = span(start, last_day)
    days = (last_day + ONE_DAY - add_months(start, tenure.total_months)).days
    day_text = f"{days} day{'s' if days != 1 else ''}"
    if not tenure.total_months:
        return day_text
    return f"{tenure} {day_text}" if days else str(tenure)


class Money(NamedTuple):
    currency: str
    amount: Decimal

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.2f}"


def _moneys(amounts: dict[str, Decimal]) -> tuple[Money, ...]:
    return tuple(Money(currency, amounts[currency]) for currency in sorted(amounts))
