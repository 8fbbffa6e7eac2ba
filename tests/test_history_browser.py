"""A loan officer reads an employment history in a real browser (Debian Chromium)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.test_connect_browser import log_in
from tests.test_history_pages import approved, maria, month
from verifications.models import Identity

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def read_download(download) -> list[dict[str, str]]:
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.django_db(transaction=True)
def test_a_loan_officer_reads_the_timeline_and_grid_and_downloads_both_csvs(page, portal_url, omar):
    today = timezone.localdate()
    person = maria(today)
    missing = month(today, 5)
    # Secure cookies (production settings) stick on http://localhost, not on 127.0.0.1.
    base = portal_url
    history_url = reverse("history:history", args=[person.pk])

    page.goto(f"{base}/admin/login/?next={history_url}")
    page.fill("#id_username", "omar")
    page.fill("#id_password", "pw-omar")
    page.click("input[type=submit]")
    page.wait_for_url(base + history_url)

    # The timeline: two bars, the current one open-ended, one long gap band.
    timeline = page.get_by_test_id("timeline")
    assert timeline.is_visible()
    bars = timeline.get_by_test_id("timeline-bar")
    assert bars.count() == 2
    assert bars.nth(0).get_attribute("data-employer") == "Jollibee Foods Corp"
    current = timeline.locator("g.bar-current")
    assert current.get_attribute("data-employer") == "Ayala Land"
    assert current.locator("polygon.bar-arrow").count() == 1
    assert "Ayala Land — Analyst" in current.locator("title").text_content()
    assert "to present · 1 year 6 months · source sss_ph" in current.locator("title").text_content()
    gap = timeline.get_by_test_id("gap-band")
    assert gap.count() == 1 and gap.locator("text").text_content() == "Gap 11 months"
    gap_box, bar_box = (
        gap.locator("rect").bounding_box(),
        bars.nth(1).locator("rect").bounding_box(),
    )
    assert gap_box["x"] + gap_box["width"] <= bar_box["x"] + 1  # the gap ends where Ayala starts

    # The grid: one hatched missing month, paid months with amounts, this month not yet due.
    grid = page.get_by_test_id("contribution-grid")
    assert grid.locator("caption").is_visible()
    missing_cell = grid.locator("td.cell-missing")
    assert missing_cell.count() == 1
    assert missing_cell.get_attribute("data-month") == f"{missing:%Y-%m}"
    assert missing_cell.get_attribute("title") == f"{missing:%B %Y}: Missing"
    assert missing_cell.text_content() == "✗Missing"
    assert missing_cell.evaluate("cell => getComputedStyle(cell).outlineStyle") == "solid"
    assert grid.locator("td.cell-paid").count() == 35
    assert grid.locator("td.cell-paid").first.text_content() == "✓Paid PHP 1,375.00"
    this_month = grid.locator(f"td[data-month='{today:%Y-%m}']")
    assert this_month.get_attribute("class") == "cell cell-not-yet-due"
    assert f"{missing:%B %Y}" in page.get_by_test_id("missing-months").inner_text()
    figures = page.get_by_test_id("figures").inner_text()
    assert "19 of 24 months" in figures and "49 of 60 months" in figures

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "history.png"), full_page=True)

    # Both exports download as files and hold the stored rows.
    with page.expect_download() as info:
        page.get_by_test_id("employments-csv").click()
    assert info.value.suggested_filename == "LOAN-7-employments.csv"
    rows = read_download(info.value)
    assert [(r["employer"], r["end_basis"]) for r in rows] == [
        ("Jollibee Foods Corp", "recorded"),
        ("Ayala Land", "current"),
    ]
    with page.expect_download() as info:
        page.get_by_test_id("contributions-csv").click()
    assert info.value.suggested_filename == "LOAN-7-contributions.csv"
    rows = read_download(info.value)
    assert len(rows) == 35
    assert f"{missing:%Y-%m}" not in {row["month"] for row in rows}
    assert {(row["currency"], row["amount"]) for row in rows} == {("PHP", "1375.00")}

    # On a phone the SVG shrinks to the screen instead of overflowing it.
    page.set_viewport_size({"width": 375, "height": 800})
    assert timeline.bounding_box()["width"] <= 375


@pytest.mark.django_db(transaction=True)
def test_the_report_prints_on_one_a4_page_without_the_admin_chrome(page, portal_url, omar, rita):
    # A typical applicant: two linked accounts, three jobs, an identity, a decision.
    today = timezone.localdate()
    person = maria(today)
    gig = factories.linked_account(person, provider_id="upwork", last_synced_at=timezone.now())
    factories.employment(gig, month(today, 40), month(today, 20), employer="Upwork freelance")
    Identity.objects.create(
        account=gig, smile_id="i-maria", full_name="Maria Santos", emails=[], raw={}
    )
    approved(person, rita)
    base = portal_url
    report_url = reverse("history:history_report", args=[person.pk])
    page.goto(f"{base}/admin/login/?next={report_url}")
    page.fill("#id_username", "omar")
    page.fill("#id_password", "pw-omar")
    page.click("input[type=submit]")
    page.wait_for_url(base + report_url)

    assert "by omar" in page.get_by_test_id("generated").inner_text()
    assert (
        "Approve (Identity and employment verified) by rita"
        in page.get_by_test_id("decision").inner_text()
    )
    assert page.locator("[data-action='print']").is_visible()  # history.js revealed it
    page.emulate_media(media="print")
    assert not page.locator("#header").is_visible()
    assert not page.locator(".breadcrumbs").is_visible()
    assert page.get_by_test_id("timeline").is_visible()
    pages = print_pages(page)
    assert pages == 1, f"the report printed on {pages} pages"


@pytest.mark.django_db(transaction=True)
def test_a_loan_officer_reads_george_as_synced_from_the_sandbox(
    page, portal_url, omar, synced_george, smile_sandbox
):
    george = synced_george
    records = {
        account.provider_id: smile_sandbox.records(account.smile_id)
        for account in george.linked_accounts.all()
    }
    page.goto(f"{portal_url}/admin/login/")
    page.fill("#id_username", "omar")
    page.fill("#id_password", "pw-omar")
    page.click("input[type=submit]")
    page.goto(f"{portal_url}/admin/verifications/applicant/{george.pk}/change/")
    page.get_by_role("link", name="Employment history").click()

    timeline = page.get_by_test_id("timeline")
    jobs = len(records["sss_ph"]["employments"]) + len(records["upwork"]["employments"])
    assert timeline.get_by_test_id("timeline-bar").count() == jobs
    assert timeline.locator("g.bar-current").count() >= 1
    assert timeline.get_by_test_id("gap-band").count() >= 1  # George's 2013-2014 gap
    grid = page.get_by_test_id("contribution-grid")
    assert grid.locator("td.cell-paid").count() == len(records["sss_ph"]["contributions"])
    # George's job gap (2013-07..2014-02), then the month his employer missed (2023-03).
    missing = [cell.get_attribute("data-month") for cell in grid.locator("td.cell-missing").all()]
    assert (len(missing), missing[0], missing[-1]) == (9, "2013-07", "2023-03")
    # Overlaps are marked under the bars, never over them: a current job stays visible.
    for bar in timeline.get_by_test_id("timeline-bar").all():
        body = bar.locator("rect.bar-rect").bounding_box()
        for mark in bar.get_by_test_id("overlap-mark").all():
            assert mark.bounding_box()["y"] >= body["y"] + body["height"]
    assert timeline.get_by_test_id("overlap-mark").count() >= 2
    # George's weekly Upwork pay: yearly totals shown, the records one click away.
    incomes = len(records["upwork"]["incomes"])
    assert page.get_by_test_id("income-totals").is_visible()
    assert not page.get_by_test_id("income-table").is_visible()
    page.get_by_text(f"All {incomes} income records").click()
    assert page.get_by_test_id("income-table").locator("tbody tr").count() == incomes
    # Smile's estimates from his SSS records: an average, and every month one click away.
    estimates = len(records["sss_ph"]["eincomes"])
    assert "PHP" in page.get_by_test_id("estimated-income-average").inner_text()
    page.get_by_text(f"All {estimates} monthly estimates").click()
    assert page.get_by_test_id("estimated-income-table").locator("tbody tr").count() == estimates
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "history-george.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_test_id("employments-csv").click()
    assert len(read_download(info.value)) == jobs
    with page.expect_download() as info:
        page.get_by_test_id("contributions-csv").click()
    rows = read_download(info.value)
    assert sorted(row["smile_id"] for row in rows) == sorted(
        item["id"] for item in records["sss_ph"]["contributions"]
    )


def print_pages(page) -> int:
    """How many A4 pages the browser prints, at the stylesheet's page size."""
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True)
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


@pytest.mark.django_db(transaction=True)
def test_georges_report_prints_on_one_a4_page(page, portal_url, omar, rita, synced_george):
    # George as the sandbox has him: nine jobs over thirty years, two accounts, overlaps.
    approved(synced_george, rita)
    log_in(page, portal_url, omar)
    page.goto(portal_url + reverse("history:history_report", args=[synced_george.pk]))
    jobs = page.get_by_test_id("employment-table").locator("tbody tr")
    assert jobs.count() == 9  # every job is on the page, none cut to make it fit
    assert page.get_by_test_id("timeline").get_by_test_id("timeline-bar").count() == 9
    assert print_pages(page) == 1
    page.screenshot(path=str(ARTIFACTS / "report-george-print.png"), full_page=True)
