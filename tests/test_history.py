"""The employment-history computations, on plain values and a fixed calendar."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest

from verifications.history import (
    CellState,
    EndBasis,
    Money,
    Tenure,
    add_months,
    build_timeline,
    contribution_grid,
    data_sources,
    figures,
    income_totals,
    local_date,
    months_employed,
    span,
    status_says_ended,
)

D = datetime.date
UTC = datetime.UTC
MANILA = zoneinfo.ZoneInfo("Asia/Manila")


@dataclass
class Job:
    """The attributes of an Employment row that the timeline reads."""

    employer: str
    start_date: datetime.date
    end_date: datetime.date | None = None
    status: str = ""
    smile_id: str = ""
    name: str = ""
    job_title: str = "Clerk"
    department: str = ""
    provider_id: str = "sss_ph"

    def __post_init__(self) -> None:
        self.smile_id = self.smile_id or f"e-{self.employer}-{self.start_date}"


def paid(day: datetime.date, amount: str = "1375.00", currency: str = "PHP") -> SimpleNamespace:
    return SimpleNamespace(date=day, amount=Decimal(amount), currency=currency)


TODAY = D(2025, 6, 15)


def timeline(*jobs: Job, today: datetime.date = TODAY, gap_months: int = 3):
    return build_timeline(jobs, today=today, gap_months=gap_months)


# --- Calendar ------------------------------------------------------------------------------------


def test_adding_months_clamps_to_the_end_of_a_shorter_month():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2023, 1, 31), 1) == D(2023, 2, 28)
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2024, 2, 29), 48) == D(2028, 2, 29)
    assert add_months(D(2024, 3, 15), -3) == D(2023, 12, 15)


def test_a_job_from_feb_29_reaches_a_year_on_the_day_before_its_clamped_anniversary():
    # The anniversary of Feb 29 in 2025 is Feb 28, so the first year ends on Feb 27.
    assert span(D(2024, 2, 29), D(2025, 2, 27)) == Tenure(12)
    assert span(D(2024, 2, 29), D(2025, 2, 26)) == Tenure(11)


def test_a_job_ending_on_feb_29_completes_its_year():
    assert span(D(2023, 3, 1), D(2024, 2, 29)) == Tenure(12)
    assert span(D(2023, 3, 1), D(2024, 2, 28)) == Tenure(11)


def test_month_ends_count_as_whole_months():
    assert span(D(2024, 1, 1), D(2024, 1, 31)) == Tenure(1)
    assert span(D(2024, 1, 31), D(2024, 2, 28)) == Tenure(1)  # Jan 31 + 1 month = Feb 29
    assert span(D(2024, 1, 31), D(2024, 2, 27)) == Tenure(0)
    assert span(D(2024, 1, 15), D(2024, 2, 14)) == Tenure(1)


@pytest.mark.parametrize(
    ("months", "text"),
    [
        (0, "0 months"),
        (1, "1 month"),
        (12, "1 year"),
        (14, "1 year 2 months"),
        (37, "3 years 1 month"),
    ],
)
def test_tenure_reads_as_years_and_months(months, text):
    assert str(Tenure(months)) == text


def test_an_instant_late_on_the_last_day_of_a_month_is_the_next_day_in_manila():
    assert local_date(datetime.datetime(2024, 1, 31, 20, 0, tzinfo=UTC), MANILA) == D(2024, 2, 1)
    assert local_date(datetime.datetime(2024, 1, 31, 15, 59, tzinfo=UTC), MANILA) == D(2024, 1, 31)


def test_instants_use_the_portals_time_zone_by_default(settings):
    settings.TIME_ZONE = "Asia/Manila"
    assert local_date(datetime.datetime(2024, 2, 29, 16, 30, tzinfo=UTC)) == D(2024, 3, 1)


# --- Timeline ------------------------------------------------------------------------------------


def test_overlapping_jobs_are_reported_with_the_shared_period():
    result = timeline(
        Job("Jollibee", D(2019, 1, 1), D(2020, 6, 30)),
        Job("Globe Telecom", D(2020, 3, 1), D(2021, 1, 31)),
    )
    [overlap] = result.overlaps
    assert (overlap.first.employer, overlap.second.employer) == ("Jollibee", "Globe Telecom")
    assert (overlap.start, overlap.last_day) == (D(2020, 3, 1), D(2020, 6, 30))
    assert result.spells == ((D(2019, 1, 1), D(2021, 1, 31)),)


def test_back_to_back_jobs_neither_overlap_nor_leave_a_gap():
    result = timeline(
        Job("Jollibee", D(2019, 1, 1), D(2020, 1, 31)),
        Job("Globe Telecom", D(2020, 2, 1), D(2021, 1, 31)),
        today=D(2021, 1, 31),
    )
    assert result.overlaps == ()
    assert result.gaps == ()
    assert result.spells == ((D(2019, 1, 1), D(2021, 1, 31)),)


def test_a_gap_of_exactly_the_threshold_is_not_long_but_one_day_more_is():
    exactly_three = timeline(
        Job("Jollibee", D(2020, 1, 1), D(2020, 1, 31)),
        Job("Globe Telecom", D(2020, 5, 1), None),
    )
    [gap] = exactly_three.gaps
    assert (gap.start, gap.last_day, gap.tenure) == (D(2020, 2, 1), D(2020, 4, 30), Tenure(3))
    assert not gap.is_long and exactly_three.long_gaps == ()

    longer = timeline(
        Job("Jollibee", D(2020, 1, 1), D(2020, 1, 31)),
        Job("Globe Telecom", D(2020, 5, 2), None),
    )
    [gap] = longer.gaps
    assert gap.is_long and gap.days == 91 and not gap.ongoing
    # Marked long, so it must not read "3 months" like the one that is not.
    assert (exactly_three.gaps[0].length, gap.length) == ("3 months", "3 months 1 day")


@pytest.mark.parametrize(
    ("start", "last_day", "text"),
    [
        (D(2021, 2, 1), D(2021, 2, 12), "12 days"),
        (D(2021, 2, 1), D(2021, 2, 1), "1 day"),
        (D(2021, 2, 1), D(2021, 2, 28), "1 month"),
        (D(2020, 2, 1), D(2021, 3, 3), "1 year 1 month 3 days"),
    ],
)
def test_a_gap_reads_in_months_and_the_days_left_over(start, last_day, text):
    from verifications.history import span_text

    assert span_text(start, last_day) == text


def test_a_job_that_has_not_started_does_not_close_todays_gap():
    today = D(2025, 3, 15)
    result = timeline(
        Job("Jollibee", D(2020, 1, 1), D(2024, 12, 31)),
        Job("Globe Telecom", D(2025, 6, 1), None),
        today=today,
    )
    [gap] = result.gaps
    assert (gap.start, gap.last_day, gap.ongoing) == (D(2025, 1, 1), today, True)
    numbers = figures(result, today=today)
    assert numbers.longest_gap == gap and numbers.current_jobs == ()
    assert [job.employer for job in numbers.upcoming_jobs] == ["Globe Telecom"]
    assert not numbers.none_started


def test_when_no_job_has_started_there_is_no_gap_but_the_figures_say_why():
    today = D(2025, 3, 15)
    result = timeline(Job("Globe Telecom", D(2025, 6, 1), None), today=today)
    assert result.gaps == ()
    numbers = figures(result, today=today)
    assert numbers.longest_gap is None and numbers.none_started
    assert numbers.months_employed_24 == 0


def test_the_gap_threshold_is_a_parameter():
    jobs = (Job("A", D(2020, 1, 1), D(2020, 1, 31)), Job("B", D(2020, 4, 1), None))
    assert not timeline(*jobs, gap_months=3).gaps[0].is_long
    assert timeline(*jobs, gap_months=1).gaps[0].is_long


def test_gaps_are_measured_between_merged_spells_not_between_single_jobs():
    # B ends inside the long job A, so the only gap is after A.
    result = timeline(
        Job("A", D(2018, 1, 1), D(2020, 12, 31)),
        Job("B", D(2019, 1, 1), D(2019, 6, 30)),
        Job("C", D(2021, 9, 1), None),
    )
    [gap] = result.gaps
    assert (gap.start, gap.last_day) == (D(2021, 1, 1), D(2021, 8, 31))
    assert gap.is_long


def test_a_job_without_end_date_is_current_until_today():
    today = D(2025, 6, 15)
    result = timeline(Job("Ayala Land", D(2021, 3, 1), None, status="Permanent"), today=today)
    [job] = result.jobs
    assert job.is_current and job.is_open_ended and job.end_basis == EndBasis.CURRENT
    assert job.last_day == today
    assert job.tenure == Tenure(4 * 12 + 3)
    assert result.gaps == ()
    assert figures(result, today=today).current_jobs == (job,)


def test_a_contract_ending_after_today_is_current_and_its_tenure_counts_to_today():
    today = D(2025, 6, 15)
    result = timeline(Job("Globe Telecom", D(2024, 6, 1), D(2025, 12, 31)), today=today)
    [job] = result.jobs
    assert job.is_current and not job.is_open_ended and job.end_basis == EndBasis.RECORDED
    assert job.last_day == D(2025, 12, 31)
    assert job.tenure == Tenure(12)
    assert result.gaps == ()
    assert figures(result, today=today).current_jobs == (job,)
    assert months_employed(result.jobs, today=today, window=24) == 13  # Jun 2024 - Jun 2025


def test_a_job_whose_status_says_it_ended_counts_only_its_start_and_leaves_an_ongoing_gap():
    today = D(2025, 6, 15)
    result = timeline(Job("Jollibee", D(2023, 1, 10), None, status="Resigned"), today=today)
    [job] = result.jobs
    assert job.end_basis == EndBasis.UNKNOWN and not job.is_current
    assert job.last_day == D(2023, 1, 10)
    [gap] = result.gaps
    assert gap.ongoing and gap.is_long and gap.last_day == today
    assert figures(result, today=today).current_jobs == ()


def test_an_open_record_followed_by_a_later_one_at_the_same_employer_ended_the_day_before():
    result = timeline(
        Job("ABC Corp.", D(2018, 4, 1), None, job_title="Clerk"),
        Job("abc  corp", D(2021, 7, 1), None, job_title="Supervisor"),
        today=D(2025, 6, 15),
    )
    first, second = result.jobs
    assert first.end_basis == EndBasis.INFERRED and first.last_day == D(2021, 6, 30)
    assert second.is_current
    assert result.overlaps == () and result.gaps == ()
    assert figures(result, today=D(2025, 6, 15)).employer_count == 1


@pytest.mark.parametrize(
    "status", ["Resigned", "SEPARATED", "Terminated", "Contract ended", "Inactive"]
)
def test_statuses_that_say_a_job_ended(status):
    assert status_says_ended(status)


@pytest.mark.parametrize(
    "status", ["", "Permanent", "Active", "Probationary", "Contractual", "Weekend"]
)
def test_statuses_that_do_not_say_a_job_ended(status):
    assert not status_says_ended(status)


def test_an_end_before_the_start_is_treated_as_a_one_day_job():
    [job] = timeline(Job("Typo Inc", D(2022, 5, 1), D(2022, 4, 1))).jobs
    assert job.last_day == D(2022, 5, 1) and job.tenure == Tenure(0)


# --- Figures -------------------------------------------------------------------------------------


def test_months_employed_counts_overlapping_months_once():
    today = D(2025, 6, 15)
    result = timeline(
        Job("Old", D(2020, 1, 1), D(2020, 12, 31)),  # Jul-Dec 2020 inside the 60-month window
        Job("A", D(2023, 7, 1), D(2024, 6, 30)),  # Jul 2023 - Jun 2024: 12 months
        Job("B", D(2024, 1, 1), None),  # Jan 2024 - Jun 2025: 18 months, 6 shared with A
        today=today,
    )
    assert months_employed(result.jobs, today=today, window=24) == 24
    numbers = figures(result, today=today)
    assert numbers.months_employed_24 == 24
    assert numbers.months_employed_60 == 6 + 24
    assert numbers.employer_count == 3


def test_months_employed_leaves_out_months_without_any_job():
    today = D(2025, 6, 15)
    result = timeline(
        Job("A", D(2023, 7, 1), D(2023, 12, 31)),  # 6 months
        Job("B", D(2025, 1, 20), None),  # Jan - Jun 2025: 6 months
        today=today,
    )
    numbers = figures(result, today=today)
    assert numbers.months_employed_24 == 12
    assert numbers.longest_gap.start == D(2024, 1, 1)
    assert numbers.longest_gap.last_day == D(2025, 1, 19)
    assert numbers.longest_gap.tenure == Tenure(12)


def test_no_jobs_give_empty_figures():
    numbers = figures(timeline(), today=D(2025, 6, 15))
    assert numbers.months_employed_24 == 0 and numbers.current_jobs == ()
    assert numbers.employer_count == 0 and numbers.longest_gap is None


# --- Contribution grid ---------------------------------------------------------------------------


def states(grid, year):
    [row] = [row for row in grid.rows if row.year == year]
    return [cell.state for cell in row.cells]


def test_a_month_without_contribution_after_the_first_is_missing_and_this_month_is_not_yet_due():
    today = D(2024, 6, 15)
    months = [D(2023, m, 28) for m in range(3, 13)] + [D(2024, m, 28) for m in (1, 2, 4, 5)]
    grid = contribution_grid([paid(day) for day in months], today=today)

    assert [row.year for row in grid.rows] == [2023, 2024]
    assert states(grid, 2023) == [CellState.BEFORE_FIRST] * 2 + [CellState.PAID] * 10
    assert (
        states(grid, 2024)
        == [
            CellState.PAID,
            CellState.PAID,
            CellState.MISSING,
            CellState.PAID,
            CellState.PAID,
        ]
        + [CellState.NOT_YET_DUE] * 7
    )
    assert grid.missing == (D(2024, 3, 1),)
    march = grid.rows[1].cells[2]
    assert march.label == "Missing" and march.title == "March 2024: Missing"
    assert grid.rows[1].cells[0].label == "Paid PHP 1,375.00"
    assert (grid.paid_last_12, grid.missing_last_12) == (11, 1)


def test_a_contribution_for_the_current_month_shows_as_paid():
    grid = contribution_grid([paid(D(2024, 5, 31)), paid(D(2024, 6, 30))], today=D(2024, 6, 3))
    assert states(grid, 2024)[4:7] == [CellState.PAID, CellState.PAID, CellState.NOT_YET_DUE]
    assert grid.missing == ()


def test_a_stop_in_payments_makes_every_due_month_since_missing():
    grid = contribution_grid([paid(D(2024, 1, 31))], today=D(2024, 4, 1))
    assert grid.missing == (D(2024, 2, 1), D(2024, 3, 1))
    assert states(grid, 2024)[3] == CellState.NOT_YET_DUE


def test_within_the_grace_an_unpaid_month_is_not_yet_due_and_a_paid_one_is_paid():
    # Paid through April; on 3 June, May's contribution may still be remitted until 30 June.
    records = [paid(D(2023, m, 28)) for m in range(6, 13)] + [
        paid(D(2024, m, 28)) for m in range(1, 5)
    ]
    strict = contribution_grid(records, today=D(2024, 6, 3))
    assert states(strict, 2024)[4] == CellState.MISSING
    assert (strict.paid_last_12, strict.missing_last_12) == (11, 1)

    grace = contribution_grid(records, today=D(2024, 6, 3), grace_months=1)
    assert states(grace, 2024)[3:6] == [
        CellState.PAID,
        CellState.NOT_YET_DUE,
        CellState.NOT_YET_DUE,
    ]
    assert grace.missing == ()
    # The last 12 due months, May 2023 to April 2024, hold 11 payments and nothing missing
    # (May 2023 comes before the first contribution).
    assert (grace.paid_last_12, grace.missing_last_12, grace.grace_months) == (11, 0, 1)

    early = contribution_grid([*records, paid(D(2024, 5, 31))], today=D(2024, 6, 3), grace_months=1)
    assert states(early, 2024)[4] == CellState.PAID


def test_a_month_past_the_grace_is_missing_again():
    records = [paid(D(2024, m, 28)) for m in range(1, 5)]
    grid = contribution_grid(records, today=D(2024, 7, 1), grace_months=1)
    assert grid.missing == (D(2024, 5, 1),)
    assert states(grid, 2024)[4:7] == [
        CellState.MISSING,
        CellState.NOT_YET_DUE,
        CellState.NOT_YET_DUE,
    ]


def test_several_contributions_in_a_month_are_summed_per_currency():
    grid = contribution_grid(
        [
            paid(D(2024, 1, 31), "1000.00"),
            paid(D(2024, 1, 15), "375.00"),
            paid(D(2024, 1, 31), "10.50", "USD"),
            paid(D(2024, 2, 29), "1375.00"),
            paid(D(2024, 3, 31), "20.00", "USD"),
        ],
        today=D(2024, 4, 10),
    )
    january, february, march = grid.rows[0].cells[:3]
    assert january.amounts == (Money("PHP", Decimal("1375.00")), Money("USD", Decimal("10.50")))
    assert january.label == "Paid PHP 1,375.00 + USD 10.50"
    assert february.state == march.state == CellState.PAID
    assert grid.rows[0].totals == (Money("PHP", Decimal("2750.00")), Money("USD", Decimal("30.50")))
    assert grid.rows[0].paid_months == 3
    # PHP was paid in two months, USD in two: each averaged over its own paid months.
    assert grid.averages == (Money("PHP", Decimal("1375.00")), Money("USD", Decimal("15.25")))


def test_yearly_totals_are_per_year():
    grid = contribution_grid(
        [paid(D(2022, 12, 31), "1000.00"), paid(D(2023, 1, 31), "1100.00")], today=D(2023, 2, 5)
    )
    assert [row.totals for row in grid.rows] == [
        (Money("PHP", Decimal("1000.00")),),
        (Money("PHP", Decimal("1100.00")),),
    ]
    assert grid.totals == (Money("PHP", Decimal("2100.00")),)


def test_leap_day_contributions_fall_in_february():
    grid = contribution_grid([paid(D(2024, 2, 29)), paid(D(2024, 3, 1))], today=D(2024, 5, 1))
    assert states(grid, 2024)[:4] == [
        CellState.BEFORE_FIRST,
        CellState.PAID,
        CellState.PAID,
        CellState.MISSING,
    ]


def test_no_contributions_give_an_empty_grid():
    grid = contribution_grid([], today=D(2024, 5, 1))
    assert grid.rows == () and grid.missing == () and grid.paid_last_12 == 0


# --- Incomes, data sources, identity -------------------------------------------------------------


def test_income_totals_are_per_year_and_currency_and_skip_missing_amounts():
    def income(start, currency, gross, net):
        return SimpleNamespace(
            start_date=start,
            currency=currency,
            gross_amount=None if gross is None else Decimal(gross),
            net_amount=None if net is None else Decimal(net),
        )

    totals = income_totals(
        [
            income(D(2023, 1, 1), "PHP", "30000", "25000"),
            income(D(2023, 2, 1), "PHP", "30000", None),
            income(D(2023, 2, 1), "USD", "500", "450"),
            income(D(2024, 1, 1), "PHP", "32000", "27000"),
        ]
    )
    assert [(t.year, t.currency, t.gross, t.net, t.records) for t in totals] == [
        (2023, "PHP", Decimal("60000"), Decimal("25000"), 2),
        (2023, "USD", Decimal("500"), Decimal("450"), 1),
        (2024, "PHP", Decimal("32000"), Decimal("27000"), 1),
    ]
    # The 2023 PHP net total lacks one record's amount, and says so.
    assert [(t.gross_missing, t.net_missing) for t in totals] == [(0, 1), (0, 0), (0, 0)]


def account(last_synced_at, provider="sss_ph"):
    return SimpleNamespace(
        provider_id=provider,
        smile_id="a-1",
        last_synced_at=last_synced_at,
        get_connection_status_display=lambda: "Connected",
    )


def test_staleness_counts_days_in_the_portals_time_zone():
    # 20:00 UTC on Jan 31 is Feb 1 in Manila: 30 days before Mar 2, not 31.
    synced = datetime.datetime(2024, 1, 31, 20, 0, tzinfo=UTC)
    [source] = data_sources([account(synced)], today=D(2024, 3, 2), stale_days=30, tz=MANILA)
    assert source.last_synced_on == D(2024, 2, 1) and source.age_days == 30
    assert not source.is_stale
    [source] = data_sources([account(synced)], today=D(2024, 3, 3), stale_days=30, tz=MANILA)
    assert source.is_stale


def test_an_account_never_synced_is_stale():
    [source] = data_sources([account(None)], today=D(2024, 3, 2), stale_days=30)
    assert source.is_stale and source.last_synced_on is None and source.status == "Connected"
