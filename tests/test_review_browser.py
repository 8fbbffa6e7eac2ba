"""A reviewer takes an applicant from the queue and approves, in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.test_connect_browser import log_in
from tests.test_history_browser import ARTIFACTS
from verifications.models import Applicant, Decision

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reviewer_goes_from_the_queue_to_approval(page, portal_url, rita, synced_george):
    george = synced_george
    george.set_status(Applicant.Status.READY)
    log_in(page, portal_url, rita)
    page.goto(portal_url + "/admin/verifications/applicant/?status__exact=ready&assigned=none")
    expect(page.locator("#result_list")).to_contain_text("George Palomero")
    # At a laptop's 1280 px every column of the queue fits, the last (Age) included.
    page.set_viewport_size({"width": 1280, "height": 800})
    results = page.locator("#changelist-form .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth"), "the queue scrolls"
    expect(page.locator("#result_list td.field-age").first).to_be_in_viewport(ratio=1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)
    page.get_by_role("button", name="Next in my queue").click()

    expect(page.locator(".messagelist")).to_contain_text("George Palomero is now assigned to you")
    comparison = page.locator("#identity-comparison")
    name_row = comparison.get_by_role("row", name="Name")
    expect(name_row).to_contain_text("George Cimafranca Palomero, Jr")
    expect(name_row).to_contain_text("partial")
    expect(comparison.get_by_role("row", name="Date of birth")).to_contain_text("match")
    expect(page.locator(".review-summary")).to_contain_text("Contributions paid, last 12 months")

    page.screenshot(path=str(ARTIFACTS / "review-applicant.png"), full_page=True)

    form = page.locator("#decision-form")
    form.get_by_label("Approve").check()
    form.get_by_label("Reason").select_option(label="Identity and employment verified")
    form.get_by_label("Note:", exact=True).fill("Name differs only by middle name and suffix.")
    form.get_by_role("button", name="Record decision").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "Approve: George Palomero is now approved."
    )
    expect(page.locator("#decision-history")).to_contain_text("Name differs only by middle name")
    decision = Decision.objects.get()
    assert (decision.outcome, decision.decided_by, decision.to_status) == (
        "approve",
        rita,
        "approved",
    )
