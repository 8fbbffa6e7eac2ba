"""Employment history: merged timeline, tenure, gaps, contribution month grid, data sources.

Plain functions over plain values (model instances are fine; only attributes are read) with
`today` passed in, so every rule can be tested on a fixed calendar. Only `load_history` touches
the database, with one query per kind of record whatever the amount of data.

Calendar rules, chosen once and used everywhere:
- Employment intervals are inclusive dates. A month count is "complete months": `n` months have
  passed from `start` when `add_months(start, n)` is on or before the day after the last day
  (anniversaries clamp to the month end, so a Feb 29 hire's yearly anniversary is Feb 28).
- "Months employed in the last N" counts calendar months (the current one included) in which
  any job covered at least one day; overlapping jobs count once. It matches the month grid.
- Contributions for a month are paid after that month ends: the current month and later are
  "not yet due", never "missing".
- Instants (sync times) are UTC in the database; they become dates in settings.TIME_ZONE.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import OuterRef, Subquery
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


class Money(NamedTuple):
    currency: str
    amount: Decimal

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.2f}"


def _moneys(amounts: dict[str, Decimal]) -> tuple[Money, ...]:
    return tuple(Money(currency, amounts[currency]) for currency in sorted(amounts))


# --- Employment timeline -------------------------------------------------------------------------


class EndBasis(StrEnum):
    RECORDED = "recorded"  # Smile gave an end date
    CURRENT = "current"  # no end date and nothing says it ended: counted until today
    INFERRED = "inferred"  # no end date, a later job at the same employer: ended the day before
    UNKNOWN = "unknown"  # no end date, status says it ended: only the start day is known


# Free-text statuses ("Resigned", "Separated", "Contract ended") saying a job is over.
_ENDED_STATUS = re.compile(
    r"\b(resign|terminat|separat|end(ed)?\b|former|inactive|retir|dismiss|laid[ -]?off|"
    r"finish|expir|quit)",
    re.IGNORECASE,
)


def status_says_ended(status: str) -> bool:
    return bool(_ENDED_STATUS.search(status or ""))


def employer_key(name: str) -> str:
    # "ABC Corp." and "abc  corp" are one employer; Smile's providers spell names differently.
    return re.sub(r"[\s.,]+", " ", name).strip().casefold()


def _employer_key(record: Any) -> str:
    return employer_key(record.employer or record.name or "")


@dataclass(frozen=True)
class Job:
    """One employment record placed on the timeline."""

    smile_id: str
    employer: str
    job_title: str
    department: str
    status: str
    provider: str
    start: date
    end: date | None  # as stored
    last_day: date  # the last day counted as employed (see EndBasis); may be in the future
    end_basis: EndBasis
    tenure: Tenure  # worked so far: up to today at most
    today: date

    @property
    def is_current(self) -> bool:
        """Employed today: open-ended, or a recorded end still ahead (a running contract)."""
        return self.start <= self.today <= self.last_day

    @property
    def is_open_ended(self) -> bool:
        return self.end_basis == EndBasis.CURRENT


@dataclass(frozen=True)
class Overlap:
    first: Job
    second: Job
    start: date
    last_day: date


@dataclass(frozen=True)
class Gap:
    """Days without any recorded job, between two spells or (ongoing) from the last to today."""

    start: date
    last_day: date
    tenure: Tenure
    is_long: bool
    ongoing: bool

    @property
    def days(self) -> int:
        return (self.last_day - self.start).days + 1


@dataclass(frozen=True)
class Timeline:
    jobs: tuple[Job, ...]
    spells: tuple[tuple[date, date], ...]  # merged employed intervals, inclusive
    overlaps: tuple[Overlap, ...]
    gaps: tuple[Gap, ...]

    @property
    def long_gaps(self) -> tuple[Gap, ...]:
        return tuple(gap for gap in self.gaps if gap.is_long)

    @property
    def has_guessed_ends(self) -> bool:
        return any(job.end_basis in (EndBasis.INFERRED, EndBasis.UNKNOWN) for job in self.jobs)


def _resolve_end(record: Any, later_starts: list[date], today: date) -> tuple[date, EndBasis]:
    if record.end_date is not None:
        return max(record.end_date, record.start_date), EndBasis.RECORDED
    later = [start for start in later_starts if start > record.start_date]
    if later:
        return min(later) - ONE_DAY, EndBasis.INFERRED
    if status_says_ended(record.status):
        # Crediting employment we cannot date would flatter the applicant: count the start only.
        return record.start_date, EndBasis.UNKNOWN
    return max(today, record.start_date), EndBasis.CURRENT


def build_timeline(records: Iterable[Any], *, today: date, gap_months: int) -> Timeline:
    """Jobs from every linked account on one timeline, with overlaps and gaps."""
    records = sorted(records, key=lambda r: (r.start_date, r.smile_id))
    starts_by_employer: dict[str, list[date]] = defaultdict(list)
    for record in records:
        starts_by_employer[_employer_key(record)].append(record.start_date)
    jobs = []
    for record in records:
        last_day, basis = _resolve_end(record, starts_by_employer[_employer_key(record)], today)
        jobs.append(
            Job(
                smile_id=record.smile_id,
                employer=record.employer or record.name or "Unknown employer",
                job_title=record.job_title,
                department=record.department,
                status=record.status,
                provider=record.provider_id,
                start=record.start_date,
                end=record.end_date,
                last_day=last_day,
                end_basis=basis,
                tenure=span(record.start_date, min(last_day, today)),
                today=today,
            )
        )
    overlaps = [
        Overlap(a, b, b.start, min(a.last_day, b.last_day))
        for i, a in enumerate(jobs)
        for b in jobs[i + 1 :]
        if b.start <= a.last_day
    ]
    spells = merge_intervals((job.start, job.last_day) for job in jobs)
    return Timeline(tuple(jobs), spells, tuple(overlaps), find_gaps(spells, today, gap_months))


def merge_intervals(intervals: Iterable[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    """Union of inclusive intervals; touching ones (end + 1 day = next start) join too."""
    merged: list[tuple[date, date]] = []
    for start, last in sorted(intervals):
        if merged and start <= merged[-1][1] + ONE_DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((start, last))
    return tuple(merged)


def find_gaps(spells: Sequence[tuple[date, date]], today: date, gap_months: int) -> tuple[Gap, ...]:
    """Gaps between merged spells, and the ongoing one when no job reaches today.

    A gap is long when it lasts more than `gap_months` complete months: Feb 1 to Apr 30 is
    exactly three months, so not longer than three.
    """
    holes = [(a[1] + ONE_DAY, b[0] - ONE_DAY, False) for a, b in itertools.pairwise(spells)]
    if spells and spells[-1][1] < today:
        holes.append((spells[-1][1] + ONE_DAY, today, True))
    return tuple(
        Gap(start, last, span(start, last), add_months(start, gap_months) <= last, ongoing)
        for start, last, ongoing in holes
    )


# --- Figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    months_employed_24: int
    months_employed_60: int
    current_jobs: tuple[Job, ...]
    employer_count: int
    longest_gap: Gap | None


def months_employed(jobs: Iterable[Job], *, today: date, window: int) -> int:
    """Calendar months among the last `window` (this one included) with any job on any day."""
    last = month_index(today)
    first = last - window + 1
    covered: set[int] = set()
    for job in jobs:
        lo = max(first, month_index(job.start))
        hi = min(last, month_index(min(job.last_day, today)))
        covered.update(range(lo, hi + 1))
    return len(covered)


def figures(timeline: Timeline, *, today: date) -> Figures:
    """What a loan officer reads first: recent employment, current job, employers, longest gap."""
    jobs = timeline.jobs
    return Figures(
        months_employed_24=months_employed(jobs, today=today, window=24),
        months_employed_60=months_employed(jobs, today=today, window=60),
        current_jobs=tuple(job for job in jobs if job.is_current),
        employer_count=len({employer_key(job.employer) for job in jobs}),
        longest_gap=max(timeline.gaps, key=lambda gap: gap.days, default=None),
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
    paid_last_12: int  # of the 12 months before this one (this one is not due yet)
    missing_last_12: int


def contribution_grid(records: Iterable[Any], *, today: date) -> ContributionGrid:
    """One row per year from the first contribution's year to this year, twelve months each."""
    by_month: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for record in records:
        by_month[month_index(record.date)][record.currency] += record.amount
    if not by_month:
        return ContributionGrid((), (), (), (), 0, 0)
    first, due_before = min(by_month), month_index(today)
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
    )


# --- Incomes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomeYear:
    year: int
    currency: str
    gross: Decimal
    net: Decimal
    records: int


def income_totals(records: Iterable[Any]) -> tuple[IncomeYear, ...]:
    """Gross and net per year (of the period's start) and currency; missing amounts add nothing."""
    sums: dict[tuple[int, str], list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for record in records:
        entry = sums[(record.start_date.year, record.currency)]
        entry[0] += record.gross_amount or 0
        entry[1] += record.net_amount or 0
        entry[2] += 1
    return tuple(IncomeYear(year, cur, *sums[(year, cur)]) for year, cur in sorted(sums))


# --- Data sources --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSource:
    provider: str
    account_id: str
    status: str
    last_synced_at: datetime.datetime | None
    last_synced_on: date | None  # in the portal's time zone
    age_days: int | None
    is_stale: bool
    last_run_status: str
    last_run_error: str


def data_sources(
    accounts: Iterable[Any], *, today: date, stale_days: int, tz: datetime.tzinfo | None = None
) -> tuple[DataSource, ...]:
    """Where the data came from and how old it is: never synced counts as stale."""
    sources = []
    for account in accounts:
        synced = account.last_synced_at
        synced_on = local_date(synced, tz) if synced else None
        age = (today - synced_on).days if synced_on else None
        sources.append(
            DataSource(
                provider=account.provider_id,
                account_id=account.smile_id,
                status=account.get_connection_status_display(),
                last_synced_at=synced,
                last_synced_on=synced_on,
                age_days=age,
                is_stale=age is None or age > stale_days,
                last_run_status=getattr(account, "last_run_status", None) or "",
                last_run_error=getattr(account, "last_run_error", None) or "",
            )
        )
    return tuple(sources)


# --- Identity: stated vs verified ----------------------------------------------------------------


# --- Loading one applicant -----------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    applicant: Any
    today: date
    gap_months: int
    stale_days: int
    timeline: Timeline
    figures: Figures
    contributions: ContributionGrid
    incomes: tuple[Any, ...]
    income_totals: tuple[IncomeYear, ...]
    sources: tuple[DataSource, ...]
    identities: tuple[Any, ...]
    latest_decision: Any | None

    @property
    def identity(self) -> Any | None:
        """The identity from the first account the applicant connected."""
        return self.identities[0] if self.identities else None

    @property
    def any_stale(self) -> bool:
        return any(source.is_stale for source in self.sources)


def gap_months_setting() -> int:
    return int(getattr(settings, "HISTORY_GAP_MONTHS", 3))


def stale_days_setting() -> int:
    return int(getattr(settings, "DATA_STALE_DAYS", 30))


def load_history(applicant: Any, *, today: date) -> History:
    """Everything the history page and report show, in six queries whatever the data size."""
    from verifications.models import Contribution, Employment, Identity, Income, SyncRun

    last_run = SyncRun.objects.filter(account=OuterRef("pk")).order_by("-started_at", "-pk")
    accounts = list(
        applicant.linked_accounts.annotate(
            last_run_status=Subquery(last_run.values("status")[:1]),
            last_run_error=Subquery(last_run.values("error")[:1]),
        ).order_by("created_at", "pk")
    )
    providers = {account.pk: account.provider_id for account in accounts}
    mine = {"account__applicant": applicant}
    employments = list(Employment.objects.filter(**mine).defer("raw"))
    incomes = list(Income.objects.filter(**mine).defer("raw").order_by("start_date", "pk"))
    for record in (*employments, *incomes):
        # Smile's metadata names the provider; older rows may lack it, their account does not.
        record.provider_id = record.provider_id or providers.get(record.account_id, "")
    contributions = Contribution.objects.filter(**mine).only("date", "currency", "amount")
    identities = tuple(
        Identity.objects.filter(**mine).defer("raw").order_by("account__created_at", "pk")
    )
    decision = applicant.decisions.select_related("decided_by").order_by("-decided_at", "-pk")
    gap_months, stale_days = gap_months_setting(), stale_days_setting()
    timeline = build_timeline(employments, today=today, gap_months=gap_months)
    return History(
        applicant=applicant,
        today=today,
        gap_months=gap_months,
        stale_days=stale_days,
        timeline=timeline,
        figures=figures(timeline, today=today),
        contributions=contribution_grid(contributions, today=today),
        incomes=tuple(incomes),
        income_totals=income_totals(incomes),
        sources=data_sources(accounts, today=today, stale_days=stale_days),
        identities=identities,
        latest_decision=decision.first(),
    )
