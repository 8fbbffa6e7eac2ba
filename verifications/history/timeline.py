"""The merged employment timeline: jobs, overlaps, gaps, and the figures drawn from them."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verifications.history.dates import (
    ONE_DAY,
    Tenure,
    add_months,
    date,
    month_index,
    span,
    span_text,
)

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

    @property
    def length(self) -> str:
        """'3 months 1 day': a gap just past the threshold must not read as exactly on it."""
        return span_text(self.start, self.last_day)


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
    """Gaps between merged spells up to today, and the ongoing one when no job covers today.

    A gap is long when it lasts more than `gap_months` complete months: Feb 1 to Apr 30 is
    exactly three months, so not longer than three. Only days up to today count: a job that
    starts next month does not close today's gap (it may never start), so the gap before it
    is ongoing until today.
    """
    past = [(start, min(last, today)) for start, last in spells if start <= today]
    holes = [(a[1] + ONE_DAY, b[0] - ONE_DAY, False) for a, b in itertools.pairwise(past)]
    if past and past[-1][1] < today:
        holes.append((past[-1][1] + ONE_DAY, today, True))
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
    upcoming_jobs: tuple[Job, ...]  # starting after today: neither current nor past
    none_started: bool  # every job starts after today: no history yet, so no gap either


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
        upcoming_jobs=tuple(job for job in jobs if job.start > today),
        none_started=bool(jobs) and all(job.start > today for job in jobs),
    )
