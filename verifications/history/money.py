"""Contributions month grid and income totals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from verifications.history.dates import (
    Money,
    _moneys,
    date,
    month_index,
    month_start,
)

# --- Contributions month grid ------------------------------------------------------------------


class CellState(StrEnum):
    PAID = "paid"
    MISSING = "missing"
    NOT_YET_DUE = "not-yet-due"
    BEFORE_FIRST = "before-first"


_STATE_LABELS = {
    CellState.MISSING: "Missing",
    CellState.NOT_YET_DUE: "Not yet due",
    CellState.BEFORE_FIRST: "Before first contribution",
}


@dataclass(frozen=True)
class MonthCell:
    month: date  # first day of the month
    state: CellState
    amounts: tuple[Money, ...] = ()  # summed per currency when several arrive for one month

    @property
    def label(self) -> str:
        if self.state == CellState.PAID:
            return "Paid " + " + ".join(str(money) for money in self.amounts)
        return _STATE_LABELS[self.state]

    @property
    def title(self) -> str:
        return f"{self.month:%B %Y}: {self.label}"


@dataclass(frozen=True)
class YearRow:
    year: int
    cells: tuple[MonthCell, ...]
    totals: tuple[Money, ...]
    paid_months: int
    missing_months: int


@dataclass(frozen=True)
class ContributionGrid:
    rows: tuple[YearRow, ...]
    totals: tuple[Money, ...]
    averages: tuple[Money, ...]  # per currency, over the months paid in that currency
    missing: tuple[date, ...]  # months after the first contribution with none, oldest first
    paid_last_12: int  # of the last 12 months that are due (this one and the grace are not)
    missing_last_12: int
    grace_months: int = 0


def contribution_grid(
    records: Iterable[Any], *, today: date, grace_months: int = 0
) -> ContributionGrid:
    """One row per year from the first contribution's year to this year, twelve months each.

    A month falls due once it has ended and `grace_months` more have: Philippine SSS gives
    employers until the end of the following month to remit (and providers report after
    that), so without a grace the previous month would read "missing" early in every month.
    A contribution that arrives within the grace still shows as paid.
    """
    by_month: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for record in records:
        by_month[month_index(record.date)][record.currency] += record.amount
    if not by_month:
        return ContributionGrid((), (), (), (), 0, 0, grace_months)
    first, due_before = min(by_month), month_index(today) - grace_months
    last_year = max(today.year, month_start(max(by_month)).year)
    rows, missing = [], []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    months_paid: dict[str, int] = defaultdict(int)
    for year in range(month_start(first).year, last_year + 1):
        cells, year_totals = [], defaultdict(Decimal)
        for index in range(year * 12, year * 12 + 12):
            if index in by_month:
                for currency, amount in by_month[index].items():
                    year_totals[currency] += amount
                    months_paid[currency] += 1
                cell = MonthCell(month_start(index), CellState.PAID, _moneys(by_month[index]))
            elif index < first:
                cell = MonthCell(month_start(index), CellState.BEFORE_FIRST)
            elif index < due_before:
                cell = MonthCell(month_start(index), CellState.MISSING)
                missing.append(cell.month)
            else:
                cell = MonthCell(month_start(index), CellState.NOT_YET_DUE)
            cells.append(cell)
        for currency, amount in year_totals.items():
            totals[currency] += amount
        rows.append(
            YearRow(
                year,
                tuple(cells),
                _moneys(year_totals),
                sum(cell.state == CellState.PAID for cell in cells),
                sum(cell.state == CellState.MISSING for cell in cells),
            )
        )
    last_12 = range(due_before - 12, due_before)
    return ContributionGrid(
        rows=tuple(rows),
        totals=_moneys(totals),
        averages=tuple(
            Money(c, (totals[c] / months_paid[c]).quantize(Decimal("0.01"))) for c in sorted(totals)
        ),
        missing=tuple(missing),
        paid_last_12=sum(index in by_month for index in last_12),
        missing_last_12=sum(month_index(month) in last_12 for month in missing),
        grace_months=grace_months,
    )


# --- Incomes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomeYear:
    year: int
    currency: str
    gross: Decimal
    net: Decimal
    records: int
    gross_missing: int = 0  # records without a gross amount: the gross total is a floor
    net_missing: int = 0


def income_totals(records: Iterable[Any]) -> tuple[IncomeYear, ...]:
    """Gross and net per year (of the period's start) and currency.

    A missing amount adds nothing, and is counted, so a total over incomplete records says so
    instead of passing for the whole.
    """
    sums: dict[tuple[int, str], list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0, 0])
    for record in records:
        entry = sums[(record.start_date.year, record.currency)]
        entry[0] += record.gross_amount or 0
        entry[1] += record.net_amount or 0
        entry[2] += 1
        entry[3] += record.gross_amount is None
        entry[4] += record.net_amount is None
    return tuple(IncomeYear(year, cur, *sums[(year, cur)]) for year, cur in sorted(sums))


# --- Estimated incomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimatedIncomes:
    """Smile's monthly income estimates (from social-security records, not payslips)."""

    months: tuple[Any, ...]  # records with month, currency, amount; oldest first
    averages_last_12: tuple[Money, ...]  # per currency, over the months that have an amount
    months_last_12: int  # of the 12 months before this one, how many have an estimate


def estimated_incomes(records: Iterable[Any], *, today: date) -> EstimatedIncomes:
    ordered = tuple(sorted(records, key=lambda record: (record.month, record.currency)))
    this_month = month_index(today)
    recent = [
        record
        for record in ordered
        if this_month - 12 <= month_index(record.month) < this_month and record.amount is not None
    ]
    sums: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for record in recent:
        sums[record.currency] += record.amount
        counts[record.currency] += 1
    averages = tuple(
        Money(currency, (sums[currency] / counts[currency]).quantize(Decimal("0.01")))
        for currency in sorted(sums)
    )
    return EstimatedIncomes(ordered, averages, len({record.month for record in recent}))
