"""Loading one applicant's whole history in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import BooleanField, OuterRef, Subquery, Value

from verifications.history.dates import (
    date,
)
from verifications.history.money import (
    ContributionGrid,
    EstimatedIncomes,
    IncomeYear,
    contribution_grid,
    estimated_incomes,
    income_totals,
)
from verifications.history.sources import (
    DataSource,
    data_sources,
)
from verifications.history.timeline import (
    Figures,
    Timeline,
    build_timeline,
    figures,
)

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
    estimated_incomes: EstimatedIncomes
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


def grace_months_setting() -> int:
    return int(getattr(settings, "CONTRIBUTION_GRACE_MONTHS", 1))


def load_history(applicant: Any, *, today: date) -> History:
    """Everything the history page and report show, in six queries whatever the data size."""
    from verifications.models import (
        Contribution,
        Employment,
        EstimatedIncome,
        Identity,
        Income,
        SyncRun,
    )

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
    contributions, estimates = _monthly_amounts(
        Contribution.objects.filter(**mine), EstimatedIncome.objects.filter(**mine)
    )
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
        contributions=contribution_grid(
            contributions, today=today, grace_months=grace_months_setting()
        ),
        incomes=tuple(incomes),
        income_totals=income_totals(incomes),
        estimated_incomes=estimated_incomes(estimates, today=today),
        sources=data_sources(accounts, today=today, stale_days=stale_days),
        identities=identities,
        latest_decision=decision.first(),
    )


class Contributed(NamedTuple):
    date: date
    currency: str
    amount: Any


class Estimated(NamedTuple):
    month: date
    currency: str
    amount: Any


def _monthly_amounts(contributions, estimates) -> tuple[list[Contributed], list[Estimated]]:
    """Contributions and estimated incomes in one query (UNION ALL): both are a date, a
    currency and an amount, and the page must stay at a fixed, small number of queries
    (bench/README.md, admin_scale)."""
    flag = BooleanField()
    rows = (
        contributions.order_by()
        .values_list("date", "currency", "amount", Value(False, output_field=flag))
        .union(
            estimates.order_by().values_list(
                "month", "currency", "amount", Value(True, output_field=flag)
            ),
            all=True,
        )
    )
    paid: list[Contributed] = []
    estimated: list[Estimated] = []
    for day, currency, amount, is_estimate in rows:
        if is_estimate:
            estimated.append(Estimated(day, currency, amount))
        else:
            paid.append(Contributed(day, currency, amount))
    return paid, estimated
