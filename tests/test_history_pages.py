"""The employment history page, its CSV exports and the printable report, through the client."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from verifications.models import (
    AuditEntry,
    Contribution,
    Decision,
    Employment,
    EstimatedIncome,
    Identity,
    Income,
    LinkedAccount,
    SyncRun,
)

URL_NAMES = ["history", "history_employments_csv", "history_contributions_csv", "history_report"]


def url(name: str, applicant) -> str:
    return reverse(f"history:{name}", args=[applicant.pk])


def month(today: datetime.date, back: int) -> datetime.date:
    """The first day of the month `back` months before today's."""
    index = today.year * 12 + today.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_end(first: datetime.date) -> datetime.date:
    return month(first, -1) - datetime.timedelta(days=1)


def maria(today: datetime.date, **fields):
    """Maria: Jollibee for 30 months, an 11-month gap, Ayala Land for the last 19 months;
    SSS contributions for 36 months with one month (5 months ago) missing."""
    person = factories.applicant(
        first_name="Maria",
        last_name="Santos",
        external_reference="LOAN-7",
        date_of_birth=datetime.date(1990, 2, 28),
        phone="+639171234567",
        **fields,
    )
    sss = factories.linked_account(
        person, provider_id="sss_ph", last_synced_at=timezone.now() - datetime.timedelta(days=2)
    )
    factories.employment(
        sss,
        month(today, 59),
        month_end(month(today, 30)),
        employer="Jollibee Foods Corp",
        job_title="Crew",
        status="Resigned",
    )
    factories.employment(
        sss, month(today, 18), None, employer="Ayala Land", job_title="Analyst", status="Permanent"
    )
    for back in range(1, 37):
        if back != 5:
            factories.contribution(sss, month_end(month(today, back)), "1375.00")
    return person


def approved(person, by, **fields) -> Decision:
    """An approval already on record, as the report shows it."""
    return Decision.objects.create(
        **{
            "applicant": person,
            "outcome": "approve",
            "reason_code": "verified",
            "from_status": "ready",
            "to_status": "approved",
            "decided_by": by,
            **fields,
        }
    )


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", URL_NAMES)
def test_anonymous_visitors_are_sent_to_the_admin_login(client, db, today, name):
    target = url(name, maria(today))
    response = client.get(target)
    assert response.status_code == 302
    assert response.url == f"/admin/login/?next={target}"


@pytest.mark.parametrize("name", URL_NAMES)
@pytest.mark.parametrize(
    ("user", "status"), [("sam", 403), ("charlie", 403), ("omar", 200), ("rita", 200)]
)
def test_only_loan_officers_and_reviewers_may_see_history(
    client, db, request, today, name, user, status
):
    # `db` named here: pytest-django orders tests by the fixtures they declare, and one that
    # only reaches the database through getfixturevalue would run after the transactional
    # tests, which flush the role groups.
    client.force_login(request.getfixturevalue(user))
    assert client.get(url(name, maria(today))).status_code == status


def test_a_superuser_may_see_history(client, admin_user, today):
    client.force_login(admin_user)
    assert client.get(url("history", maria(today))).status_code == 200


def test_an_unknown_applicant_is_404_for_officers_and_403_for_others(client, omar, charlie):
    client.force_login(omar)
    assert client.get(reverse("history:history", args=[999999])).status_code == 404
    client.force_login(charlie)
    assert client.get(reverse("history:history", args=[999999])).status_code == 403


def test_history_is_read_only(client, omar, today):
    client.force_login(omar)
    assert client.post(url("history", maria(today))).status_code == 405


# --- The page ------------------------------------------------------------------------------------


def test_the_page_shows_employers_figures_and_the_missing_month(client, omar, today):
    person = maria(today)
    client.force_login(omar)
    response = client.get(url("history", person))
    html = response.content.decode()

    assert response.templates[0].name == "verifications/history/page.html"
    assert "admin/base_site.html" in [t.name for t in response.templates]
    assert "Jollibee Foods Corp" in html and "Ayala Land" in html
    assert html.count('data-testid="timeline-bar"') == 2
    assert 'data-testid="gap-band"' in html  # 11 months without a job
    history = response.context["history"]
    assert history.figures.months_employed_24 == 19
    assert history.figures.months_employed_60 == 30 + 19
    assert "<strong>19</strong> of 24 months" in html
    assert "<strong>49</strong> of 60 months" in html
    assert "<strong>Ayala Land</strong>, 1 year 6 months" in html
    missing = month(today, 5)
    assert html.count('class="cell cell-missing"') == 1
    assert f'data-month="{missing:%Y-%m}"' in html
    assert f"{missing:%B %Y}: Missing" in html  # the cell's hover title
    assert f"<li>{missing:%B %Y}</li>" in html  # the flagged list
    assert "Paid PHP 1,375.00" in html
    assert html.count('class="cell cell-paid"') == 35
    assert '<span class="flag">&#9888; 1 missing</span>' in html  # last 12 months
    assert (
        "Average monthly contribution (over paid months):\n  <strong>PHP 1,375.00</strong>" in html
    )
    applicant_url = reverse("admin:verifications_applicant_change", args=[person.pk])
    assert f'<a href="{applicant_url}">Maria Santos</a>' in html


def test_the_gap_threshold_comes_from_the_settings(client, omar, today, settings):
    settings.HISTORY_GAP_MONTHS = 11  # Maria's gap is 11 months: not longer than that
    client.force_login(omar)
    html = client.get(url("history", maria(today))).content.decode()
    assert 'data-testid="gap-band"' not in html
    assert "Gap longer than 11 months" in html


@pytest.mark.parametrize(("grace", "state"), [(1, "Not yet due"), (0, "Missing")])
def test_last_months_contribution_is_missing_only_after_the_grace(
    client, omar, today, settings, grace, state
):
    settings.CONTRIBUTION_GRACE_MONTHS = grace
    person = maria(today)
    last_month = month(today, 1)
    Contribution.objects.filter(account__applicant=person, date=month_end(last_month)).delete()
    client.force_login(omar)
    html = client.get(url("history", person)).content.decode()
    assert f'title="{last_month:%B %Y}: {state}"' in html
    missing = 1 + (state == "Missing")  # the month five months ago is missing either way
    assert f"{missing} missing</span>" in html
    assert ("1 month after it ends" in html) == bool(grace)


def test_the_page_warns_when_data_is_stale(client, omar, today, settings):
    settings.DATA_STALE_DAYS = 1
    person = maria(today)
    LinkedAccount.objects.filter(applicant=person).update(
        last_synced_at=timezone.now() - datetime.timedelta(days=3)
    )
    client.force_login(omar)
    html = client.get(url("history", person)).content.decode()
    assert 'data-testid="stale-warning"' in html
    assert "more than 1 days old" in html


def test_the_page_is_csp_friendly(client, omar, today):
    client.force_login(omar)
    html = client.get(url("history", maria(today))).content.decode()
    assert "<script>" not in html and " onclick=" not in html and "<style" not in html
    assert "/static/verifications/history." in html


def test_a_total_over_incomes_without_an_amount_says_it_is_incomplete(client, omar, today):
    person = maria(today)
    account = person.linked_accounts.get()
    for n, net in enumerate(["25000.00", None, None]):
        Income.objects.create(
            account=account,
            smile_id=f"inc-{n}",
            start_date=datetime.date(2024, n + 1, 1),
            currency="PHP",
            gross_amount=Decimal("30000.00"),
            net_amount=None if net is None else Decimal(net),
            raw={},
        )
    client.force_login(omar)
    html = client.get(url("history", person)).content.decode()
    row = html[html.index('<th scope="row">2024</th><td>PHP</td>') :].split("</tr>")[0]
    assert "90,000.00</td>" in row  # every gross amount is there
    assert '25,000.00 <span class="flag">(incomplete: 2 without an amount)</span>' in row
    assert "<summary>All 3 income records</summary>" in html


def test_estimated_incomes_show_their_recent_average_and_every_month(client, omar, today):
    person = maria(today)
    account = person.linked_accounts.get()
    for back, amount in [(1, "20000.00"), (2, "22000.00"), (12, None), (13, "99999.00")]:
        EstimatedIncome.objects.create(
            account=account,
            smile_id=f"einc-{back}",
            month=month(today, back),
            currency="PHP",
            amount=None if amount is None else Decimal(amount),
            raw={},
        )
    client.force_login(omar)
    html = client.get(url("history", person)).content.decode()
    # Month 13 is older than the last 12, and month 12 has no amount: (20,000 + 22,000) / 2.
    assert "last 12 months:\n  <strong>PHP 21,000.00</strong>" in html
    assert "(2 of 12 months estimated)" in html
    assert "<summary>All 4 monthly estimates</summary>" in html
    report = client.get(url("history_report", person)).content.decode()
    assert "average of the last 12 months: <strong>PHP 21,000.00</strong>" in report


def test_without_estimated_incomes_the_page_has_no_such_section(client, omar, today):
    client.force_login(omar)
    html = client.get(url("history", maria(today))).content.decode()
    assert "Estimated income" not in html


def test_an_applicant_whose_only_job_has_not_started_reads_so(client, omar, today):
    person = factories.applicant()
    account = factories.linked_account(person)
    starts = month(today, -2)
    factories.employment(account, starts, None, employer="Globe Telecom")
    client.force_login(omar)
    html = client.get(url("history", person)).content.decode()
    assert "None yet: no job has started" in html
    assert f"Starts {starts:%Y-%m-%d}: Globe Telecom" in html


def test_times_carry_their_utc_offset_not_an_ambiguous_abbreviation(client, omar, rita, today):
    person = maria(today)
    synced = datetime.datetime(2026, 12, 1, 8, 59, tzinfo=datetime.UTC)
    LinkedAccount.objects.filter(applicant=person).update(last_synced_at=synced)
    approved(person, rita, decided_at=synced)
    client.force_login(omar)
    for name in ("history", "history_report"):
        html = client.get(url(name, person)).content.decode()
        assert "2026-12-01 16:59 UTC+08:00" in html  # Manila is 8 hours ahead
        assert "PST" not in html
    report = client.get(url("history_report", person)).content.decode()
    assert "by rita on 2026-12-01 16:59 UTC+08:00" in report


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(response) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_employments_csv_holds_exactly_the_stored_rows(client, omar, today):
    person = maria(today)
    client.force_login(omar)
    response = client.get(url("history_employments_csv", person))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="LOAN-7-employments.csv"'
    rows = read_csv(response)
    stored = Employment.objects.filter(account__applicant=person).select_related("account")
    assert sorted((r["smile_id"], r["employer"], r["start_date"], r["end_date"]) for r in rows) == (
        sorted(
            (
                e.smile_id,
                e.employer,
                e.start_date.isoformat(),
                (e.end_date and e.end_date.isoformat()) or "",
            )
            for e in stored
        )
    )
    current = next(r for r in rows if r["employer"] == "Ayala Land")
    assert current["end_basis"] == "current" and current["counted_until"] == today.isoformat()
    assert current["provider"] == "sss_ph"
    assert current["account_id"] == stored[0].account.smile_id


def test_contributions_csv_holds_exactly_the_stored_rows(client, omar, today):
    person = maria(today)
    other = factories.applicant()
    factories.contribution(factories.linked_account(other), today, "99.00")
    client.force_login(omar)
    response = client.get(url("history_contributions_csv", person))

    assert response["Content-Disposition"] == 'attachment; filename="LOAN-7-contributions.csv"'
    rows = read_csv(response)
    stored = Contribution.objects.filter(account__applicant=person).order_by("date")
    assert [(r["smile_id"], r["date"], r["currency"], Decimal(r["amount"])) for r in rows] == [
        (c.smile_id, c.date.isoformat(), c.currency, c.amount) for c in stored
    ]
    assert len(rows) == 35
    assert rows[0]["month"] == rows[0]["date"][:7]
    assert {r["provider"] for r in rows} == {"sss_ph"}


def test_viewing_the_history_and_each_export_is_audited(client, omar, rita, today):
    person = maria(today)
    client.force_login(omar)
    assert client.get(url("history", person)).status_code == 200
    client.force_login(rita)
    client.get(url("history_employments_csv", person))
    client.get(url("history_contributions_csv", person))

    entries = AuditEntry.objects.order_by("at", "pk")
    assert [(e.actor, e.action, e.applicant, e.what) for e in entries] == [
        (omar, "viewed_history", person, url("history", person)),
        (rita, "exported", person, "employments.csv"),
        (rita, "exported", person, "contributions.csv"),
    ]


def test_a_refused_history_view_leaves_no_audit_entry(client, sam, today):
    person = maria(today)
    client.force_login(sam)
    assert client.get(url("history", person)).status_code == 403
    assert client.get(url("history_contributions_csv", person)).status_code == 403
    assert not AuditEntry.objects.exists()


def test_csv_file_name_falls_back_to_the_applicant_id(client, omar):
    person = factories.applicant(external_reference="")
    client.force_login(omar)
    response = client.get(url("history_contributions_csv", person))
    assert (
        response["Content-Disposition"] == f'attachment; filename="{person.pk}-contributions.csv"'
    )
    assert read_csv(response) == []


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(client, omar, today):
    person = factories.applicant(external_reference='x"; evil')
    account = factories.linked_account(person)
    factories.employment(
        account,
        datetime.date(2020, 1, 1),
        employer='=HYPERLINK("http://evil.example","pay")',
        job_title="+SUM(A1:A9)",
        department="-2+3",
        status="@cmd",
    )
    factories.contribution(account, datetime.date(2020, 1, 31), "-15.00", reference_id="=1+1")
    factories.employment(
        account, datetime.date(2021, 1, 1), employer=" =1+1", job_title="\n=2+2", status="\t@x"
    )
    client.force_login(omar)

    response = client.get(url("history_employments_csv", person))
    assert response["Content-Disposition"] == 'attachment; filename="x_evil-employments.csv"'
    row, spaced = read_csv(response)
    assert row["employer"] == '\'=HYPERLINK("http://evil.example","pay")'
    # Spreadsheets skip leading blanks before reading a formula: so must the defusing.
    assert (spaced["employer"], spaced["job_title"], spaced["status"]) == (
        "' =1+1",
        "'\n=2+2",
        "'\t@x",
    )
    assert (row["job_title"], row["department"], row["status"]) == (
        "'+SUM(A1:A9)",
        "'-2+3",
        "'@cmd",
    )

    [row] = read_csv(client.get(url("history_contributions_csv", person)))
    assert row["reference_id"] == "'=1+1"
    assert row["amount"] == "-15.00"  # a number we wrote stays a number


# --- The report ----------------------------------------------------------------------------------


def test_the_report_shows_identity_latest_decision_and_who_generated_it(
    client, omar, rita, victor, today, settings
):
    settings.DECISION_REASONS = {
        "approve": {"approve-code": "Employment verified by SSS"},
        "request_info": {"request_info-code": "Explain the gap"},
    }
    person = maria(today)
    Identity.objects.create(
        account=person.linked_accounts.get(),
        smile_id="i-maria",
        full_name="Maria Dela Cruz Santos",
        dob=datetime.date(1990, 2, 28),
        emails=[{"address": "maria@smileapi.io", "type": "personal"}],
        phones=[{"number": "+63 9171234567", "type": "mobile"}],
        raw={},
    )
    decided = timezone.now() - datetime.timedelta(days=1)
    for outcome, by, when in [
        ("request_info", victor, decided - datetime.timedelta(days=3)),
        ("approve", rita, decided),
    ]:
        Decision.objects.create(
            applicant=person,
            outcome=outcome,
            reason_code=f"{outcome}-code",
            from_status="ready",
            to_status="approved",
            decided_by=by,
            decided_at=when,
        )
    client.force_login(omar)
    response = client.get(url("history_report", person))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Generated " in html and " by omar" in html
    assert "<strong>Approve</strong> (Employment verified by SSS) by rita" in html
    assert "Explain the gap" not in html  # only the latest decision
    assert "Maria Dela Cruz Santos" in html and "maria@smileapi.io" in html
    assert "Paid <strong>11 of the last 12 months</strong> (1 missing)" in html
    assert 'data-testid="timeline"' in html
    assert "@page" not in html  # print rules live in the stylesheet
    entry = AuditEntry.objects.get(action="report")
    assert (entry.actor, entry.applicant, entry.what) == (
        omar,
        person,
        url("history_report", person),
    )


def test_a_decision_whose_reason_left_the_list_shows_its_code(client, omar, rita, today):
    person = maria(today)
    approved(person, rita, reason_code="retired_reason")
    client.force_login(omar)
    html = client.get(url("history_report", person)).content.decode()
    assert "<strong>Approve</strong> (retired_reason) by rita" in html


def test_the_report_says_when_there_is_no_decision(client, omar, today):
    client.force_login(omar)
    html = client.get(url("history_report", maria(today))).content.decode()
    assert "No decision yet." in html


# --- Fixed number of queries ---------------------------------------------------------------------


def busy_applicant(today: datetime.date, *, accounts: int, years: int, decider):
    """Linked accounts, each with 3 employments, monthly contributions for `years` years,
    yearly incomes, an identity and sync runs; plus two decisions."""
    person = factories.applicant()
    contributions, incomes, estimates = [], [], []
    for n in range(accounts):
        account = factories.linked_account(
            person, provider_id=f"provider_{n}", last_synced_at=timezone.now()
        )
        for job in range(3):
            start = month(today, 12 * years - job * 4 * years)
            factories.employment(
                account, start, None if job == 2 else start + datetime.timedelta(days=300),
                employer=f"Employer {n}-{job}",
            )  # fmt: skip
        for back in range(1, 12 * years + 1):
            contributions.append(
                Contribution(
                    account=account,
                    smile_id=f"con-{person.pk}-{n}-{back}",
                    date=month_end(month(today, back)),
                    currency="PHP",
                    amount=Decimal("1375.00"),
                    raw={},
                )
            )
            estimates.append(
                EstimatedIncome(
                    account=account,
                    smile_id=f"einc-{person.pk}-{n}-{back}",
                    month=month(today, back),
                    currency="PHP",
                    amount=Decimal("27500.00"),
                    raw={},
                )
            )
            if back % 12 == 0:
                incomes.append(
                    Income(
                        account=account,
                        smile_id=f"inc-{person.pk}-{n}-{back}",
                        start_date=month(today, back),
                        currency="PHP",
                        gross_amount=Decimal("30000.00"),
                        net_amount=Decimal("25000.00"),
                        raw={},
                    )
                )
        Identity.objects.create(
            account=account, smile_id=f"i-{person.pk}-{n}", full_name="George Palomero", raw={}
        )
        for _ in range(3):
            SyncRun.objects.create(account=account, trigger="manual", status="succeeded")
    Contribution.objects.bulk_create(contributions)
    Income.objects.bulk_create(incomes)
    EstimatedIncome.objects.bulk_create(estimates)
    for outcome in ("request_info", "approve"):
        Decision.objects.create(
            applicant=person,
            outcome=outcome,
            reason_code="r",
            from_status="ready",
            to_status="approved",
            decided_by=decider,
        )
    return person


@pytest.mark.parametrize("name", ["history", "history_report"])
def test_page_and_report_use_a_fixed_number_of_queries(
    client, omar, rita, today, name, django_assert_max_num_queries
):
    # The small one differs in every dimension, so a query per account, per employment or per
    # year would show as a different count.
    small = busy_applicant(today, accounts=1, years=1, decider=rita)
    big = busy_applicant(today, accounts=5, years=20, decider=rita)
    assert Contribution.objects.filter(account__applicant=big).count() == 5 * 240
    client.force_login(omar)
    client.get(url(name, small))  # warm caches that are not per request (content types)

    counts = []
    for person in (small, big):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(name, person))
        assert response.status_code == 200
        counts.append(len(queries))
    with django_assert_max_num_queries(12):  # issue 7's target, also bench/admin_scale
        assert client.get(url(name, big)).status_code == 200
    assert counts[0] == counts[1], counts
    assert len(response.context["history"].contributions.rows) == 21
    assert len(response.context["history"].estimated_incomes.months) == 5 * 240


def test_the_applicant_page_links_to_the_history_for_those_who_may_read_it(client, omar, sam):
    person = factories.applicant()
    link = f'href="{url("history", person)}"'
    client.force_login(omar)
    assert (
        link in client.get(f"/admin/verifications/applicant/{person.pk}/change/").content.decode()
    )
    client.force_login(sam)
    assert (
        link
        not in client.get(f"/admin/verifications/applicant/{person.pk}/change/").content.decode()
    )
