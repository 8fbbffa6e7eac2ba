"""Employment history pages for loan officers and reviewers: page, CSV exports, printable report.

Read-only and in the admin's look. The numbers come from `verifications.history`; this module
only checks access, lays out the timeline SVG and writes responses.
"""

from __future__ import annotations

import calendar
import csv
import datetime
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from verifications import audit, history
from verifications.history import EndBasis, Job, Timeline
from verifications.identity_match import compare_identity
from verifications.models import Applicant, Contribution, Employment

logger = logging.getLogger(__name__)

PERMISSION = "verifications.view_employment_history"
MONTHS = [(calendar.month_name[n], calendar.month_abbr[n]) for n in range(1, 13)]


def _applicant_for(request: HttpRequest, pk: int) -> Applicant:
    """The applicant, if this user may see employment histories (checked first: no probing)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    return get_object_or_404(Applicant, pk=pk)


def _context(
    request: HttpRequest, applicant: Applicant, title: str, *, compact: bool = False
) -> dict[str, Any]:
    loaded = history.load_history(applicant, today=timezone.localdate())
    return {
        **admin.site.each_context(request),
        "title": title,
        "subtitle": applicant.full_name,
        "applicant": applicant,
        "history": loaded,
        "chart": timeline_chart(loaded.timeline, today=loaded.today, compact=compact),
        "months": MONTHS,
        "time_zone": settings.TIME_ZONE,
        "lender_name": getattr(settings, "LENDER_NAME", ""),
    }


@staff_member_required
@never_cache
@require_safe
def history_page(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant_for(request, pk)
    context = _context(request, applicant, "Employment history")
    audit.record(request.user, audit.Action.VIEWED_HISTORY, applicant=applicant, what=request.path)
    return render(request, "verifications/history/page.html", context)


@staff_member_required
@never_cache
@require_safe
def history_report(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant_for(request, pk)
    context = _context(request, applicant, "Employment verification report", compact=True)
    context["identity_rows"] = compare_identity(applicant, context["history"].identities)
    context["generated_at"] = timezone.now()
    context["generated_by"] = request.user.get_username()
    audit.record(request.user, audit.Action.REPORT, applicant=applicant, what=request.path)
    return render(request, "verifications/history/report.html", context)


# --- CSV exports -------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        return str(value)  # numbers we wrote ourselves: a negative amount stays a number
    text = str(value)
    # Spreadsheets skip leading blanks (" =1+1", "\n=1+1") before reading a formula.
    defuse = text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START)
    return "'" + text if defuse else text


def _csv_response(
    request: HttpRequest, applicant: Applicant, kind: str, header: list[str], rows
) -> HttpResponse:
    audit.record(request.user, audit.Action.EXPORTED, applicant=applicant, what=f"{kind}.csv")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", applicant.external_reference) or str(applicant.pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{kind}.csv"'
    # The BOM makes Excel read UTF-8 (names like "Peñaflor") instead of the legacy code page;
    # csv readers opened with encoding="utf-8-sig" skip it.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return response


# Column name -> value, so a header can never drift from its cells.
EMPLOYMENT_COLUMNS: dict[str, Any] = {
    "employer": lambda r, job: r.employer or r.name,
    "job_title": lambda r, job: r.job_title,
    "department": lambda r, job: r.department,
    "status": lambda r, job: r.status,
    "start_date": lambda r, job: r.start_date,
    "end_date": lambda r, job: r.end_date,
    "end_basis": lambda r, job: job.end_basis.value,
    "counted_until": lambda r, job: job.last_day,
    "tenure_months": lambda r, job: job.tenure.total_months,
    "provider": lambda r, job: r.provider_id,
    "account_id": lambda r, job: r.account.smile_id,
    "smile_id": lambda r, job: r.smile_id,
}
CONTRIBUTION_COLUMNS: dict[str, Any] = {
    "month": lambda r: f"{r.date:%Y-%m}",
    "date": lambda r: r.date,
    "currency": lambda r: r.currency,
    "amount": lambda r: r.amount,
    "reference_id": lambda r: r.reference_id,
    "provider": lambda r: r.provider_id or r.account.provider_id,
    "account_id": lambda r: r.account.smile_id,
    "smile_id": lambda r: r.smile_id,
}


@staff_member_required
@never_cache
@require_safe
def employments_csv(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant_for(request, pk)
    records = list(
        Employment.objects.filter(account__applicant=applicant)
        .select_related("account")
        .defer("raw", "account__raw")
        .order_by("start_date", "pk")
    )
    for record in records:
        record.provider_id = record.provider_id or record.account.provider_id
    today, gap_months = timezone.localdate(), history.gap_months_setting()
    timeline = history.build_timeline(records, today=today, gap_months=gap_months)
    jobs = {job.smile_id: job for job in timeline.jobs}
    rows = ([value(r, jobs[r.smile_id]) for value in EMPLOYMENT_COLUMNS.values()] for r in records)
    return _csv_response(request, applicant, "employments", list(EMPLOYMENT_COLUMNS), rows)


@staff_member_required
@never_cache
@require_safe
def contributions_csv(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant_for(request, pk)
    records = (
        Contribution.objects.filter(account__applicant=applicant)
        .select_related("account")
        .defer("raw", "account__raw")
        .order_by("date", "pk")
    )
    rows = ([value(r) for value in CONTRIBUTION_COLUMNS.values()] for r in records)
    return _csv_response(request, applicant, "contributions", list(CONTRIBUTION_COLUMNS), rows)


# --- Timeline SVG layout -----------------------------------------------------------------------
# Coordinates in viewBox units: the SVG scales to its container, so narrow screens shrink it.

WIDTH, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, ROW, BAR, OVERLAP = 1000, 210, 970, 30, 28, 16, 5
# The printed report's rows: a job per 22 units keeps a nine-job history on one A4 page.
COMPACT_ROW, COMPACT_BAR, COMPACT_OVERLAP = 22, 13, 4


@dataclass(frozen=True)
class Mark:
    x: float
    width: float
    title: str
    label: str = ""


@dataclass(frozen=True)
class Bar:
    job: Job
    x: float
    y: float
    width: float
    label: str
    title: str
    css: str
    overlaps: tuple[Mark, ...]
    height: int = BAR

    @property
    def end_x(self) -> float:
        return round(self.x + self.width, 1)

    @property
    def overlap_y(self) -> float:
        # Under the bar, not over it: a hatch on the bar hid whether the job is current.
        return self.y + self.height + 1

    @property
    def text_y(self) -> float:
        return self.y + self.height / 2 + 4

    @property
    def arrow(self) -> str:
        """An arrowhead past today's end of a current job: it goes on."""
        x, y, h = self.end_x, self.y, self.height
        return f"{x},{y - 2} {x + 10},{y + h / 2} {x},{y + h + 2}"


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    height: int
    plot_bottom: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    gaps: tuple[Mark, ...]
    today_x: float
    summary: str
    width: int = WIDTH
    plot_left: int = PLOT_LEFT
    plot_top: int = PLOT_TOP
    bar_height: int = BAR
    overlap_height: int = OVERLAP
    label_x: int = PLOT_LEFT - 8
    tick_top: int = PLOT_TOP - 6
    tick_label_y: int = PLOT_TOP - 10

    @property
    def band_height(self) -> int:
        return self.plot_bottom - PLOT_TOP

    @property
    def gap_label_y(self) -> int:
        return self.plot_bottom + 16


def _period(start: datetime.date, last_day: datetime.date | None, basis: EndBasis) -> str:
    end = {
        EndBasis.CURRENT: "present",
        EndBasis.UNKNOWN: "end unknown",
        EndBasis.INFERRED: f"{last_day} (inferred)",
    }.get(basis, str(last_day))
    return f"{start} to {end}"


def _job_title(job: Job) -> str:
    role = ", ".join(part for part in (job.job_title, job.department) if part)
    return (
        f"{job.employer}{' — ' + role if role else ''}\n"
        f"{_period(job.start, job.last_day, job.end_basis)} · {job.tenure} · source {job.provider}"
    )


def timeline_chart(
    timeline: Timeline, *, today: datetime.date, compact: bool = False
) -> Chart | None:
    """Bars, year ticks, overlap marks and long-gap bands positioned for the SVG template."""
    row_height, bar_height, overlap_height = (
        (COMPACT_ROW, COMPACT_BAR, COMPACT_OVERLAP) if compact else (ROW, BAR, OVERLAP)
    )
    jobs = timeline.jobs
    if not jobs:
        return None
    start = datetime.date(min(job.start for job in jobs).year, 1, 1)
    last = max([today, *(job.last_day for job in jobs)])
    end = history.add_months(datetime.date(last.year, last.month, 1), 2)  # room for the arrow
    scale = (PLOT_RIGHT - PLOT_LEFT) / (end - start).days

    def x(day: datetime.date) -> float:
        return round(PLOT_LEFT + (day - start).days * scale, 1)

    def mark(first: datetime.date, last_day: datetime.date, title: str, label: str = "") -> Mark:
        width = max(round(x(last_day + history.ONE_DAY) - x(first), 1), 2)
        return Mark(x(first), width, title, label)

    overlaps: dict[str, list[Mark]] = {job.smile_id: [] for job in jobs}
    for overlap in timeline.overlaps:
        title = (
            f"Overlap: {overlap.first.employer} and {overlap.second.employer}, "
            f"{overlap.start} to {overlap.last_day}"
        )
        for job in (overlap.first, overlap.second):
            overlaps[job.smile_id].append(mark(overlap.start, overlap.last_day, title))
    bars = []
    for row, job in enumerate(jobs):
        css = {EndBasis.CURRENT: "bar-current", EndBasis.UNKNOWN: "bar-unknown"}
        body = mark(job.start, job.last_day, "")
        bars.append(
            Bar(
                job=job,
                x=body.x,
                y=PLOT_TOP + 6 + row * row_height + (row_height - bar_height) / 2,
                width=max(body.width, 4),
                label=job.employer if len(job.employer) <= 28 else job.employer[:27] + "…",
                title=_job_title(job),
                css=css.get(job.end_basis, "bar-dated"),
                overlaps=tuple(overlaps[job.smile_id]),
                height=bar_height,
            )
        )
    span_years = end.year - start.year
    every = 1 if span_years <= 12 else 2 if span_years <= 24 else 5
    ticks = tuple(
        Tick(x(datetime.date(year, 1, 1)), str(year) if year % every == 0 else "")
        for year in range(start.year, end.year + 1)
        if datetime.date(year, 1, 1) < end
    )
    gaps = tuple(
        mark(
            gap.start,
            gap.last_day,
            f"Gap of {gap.length}{' (ongoing)' if gap.ongoing else ''}: "
            f"no recorded job {gap.start} to {gap.last_day}",
            f"Gap {gap.length}",
        )
        for gap in timeline.long_gaps
    )
    plot_bottom = PLOT_TOP + 12 + len(jobs) * row_height
    current = sum(job.is_current for job in jobs)
    summary = (
        f"{len(jobs)} employment records from {jobs[0].start.year}, {current} current, "
        f"{len(timeline.overlaps)} overlapping, {len(gaps)} gaps longer than the threshold."
    )
    return Chart(
        plot_bottom + 26,
        plot_bottom,
        tuple(bars),
        ticks,
        gaps,
        x(today),
        summary,
        bar_height=bar_height,
        overlap_height=overlap_height,
    )
