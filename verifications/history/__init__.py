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

from verifications.history.dates import (
    ONE_DAY,
    Money,
    Tenure,
    add_months,
    date,
    local_date,
    month_index,
    month_start,
    span,
    span_text,
    whole_months,
)
from verifications.history.load import (
    History,
    gap_months_setting,
    load_history,
    stale_days_setting,
)
from verifications.history.money import (
    CellState,
    ContributionGrid,
    IncomeYear,
    MonthCell,
    YearRow,
    contribution_grid,
    income_totals,
)
from verifications.history.sources import (
    DataSource,
    data_sources,
)
from verifications.history.timeline import (
    EndBasis,
    Figures,
    Gap,
    Job,
    Overlap,
    Timeline,
    build_timeline,
    employer_key,
    figures,
    find_gaps,
    merge_intervals,
    months_employed,
    status_says_ended,
)

__all__ = [
    "ONE_DAY",
    "CellState",
    "ContributionGrid",
    "DataSource",
    "EndBasis",
    "Figures",
    "Gap",
    "History",
    "IncomeYear",
    "Job",
    "Money",
    "MonthCell",
    "Overlap",
    "Tenure",
    "Timeline",
    "YearRow",
    "add_months",
    "build_timeline",
    "contribution_grid",
    "data_sources",
    "date",
    "employer_key",
    "figures",
    "find_gaps",
    "gap_months_setting",
    "income_totals",
    "load_history",
    "local_date",
    "merge_intervals",
    "month_index",
    "month_start",
    "months_employed",
    "span",
    "span_text",
    "stale_days_setting",
    "status_says_ended",
    "whole_months",
]
