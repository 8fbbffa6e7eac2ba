"""The whole journey with real processes: gunicorn, a qcluster worker, the Smile sandbox,
and Debian's Chromium. Run with `make e2e` (SQLite) or, as .ci/run also does, with
E2E_DATABASE_URL=postgres://… and E2E_REDIS_URL=redis://… (PostgreSQL and the Redis broker).
"""

import csv
import email
import io
import re
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-demo-password"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def emailed_link(mail_dir: Path, to: str) -> str:
    """The connect link in the last invite the portal wrote for `to` (file email backend)."""
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        for raw in path.read_text().split("-" * 79):
            if f"To: {to}" not in raw:
                continue
            message = email.message_from_string(raw.strip())
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()
                    return re.search(r"http://\S+/connect/[^/\s]+/", text).group(0)
    raise AssertionError(f"no invite emailed to {to}")


def connect_in_wink(page: Page, provider: str) -> None:
    modal = page.get_by_role("dialog")
    modal.get_by_role("button", name=provider).click()
    modal.get_by_label("Username, email or phone").fill("george")
    modal.get_by_label("Password").fill("123456")
    modal.get_by_role("button", name="Continue").click()
    modal.get_by_label("Verification code").fill("1234")
    modal.get_by_role("button", name="Verify").click()
    expect(modal.get_by_text("account is connected")).to_be_visible()
    modal.get_by_role("button", name="DONE").click()


def wait_for_status(page: Page, url: str, text: str, timeout: float = 120) -> None:
    """Reload the admin page until the worker has done its part."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(url)
        if text in page.locator("#result_list").inner_text():
            return
        time.sleep(2)
    raise AssertionError(f"{text!r} did not appear at {url} within {timeout} s")


def test_the_whole_journey(browser, portal):
    base, mail_dir = portal["url"], portal["mail_dir"]

    # Staff add George and email him an invite.
    staff = browser.new_context().new_page()
    log_in(staff, base, "staff")
    staff.goto(base + "/admin/verifications/applicant/add/")
    staff.get_by_label("First name").fill("George")
    staff.get_by_label("Last name").fill("Palomero")
    staff.get_by_label("Date of birth").fill("1970-08-24")
    staff.get_by_label("Email").fill("george@example.com")
    staff.get_by_label("Phone").fill("+639559991234")
    staff.get_by_label("External reference").fill("E2E-0001")
    staff.get_by_role("button", name="Save", exact=True).click()
    expect(staff.locator(".messagelist")).to_contain_text("was added successfully")
    staff.locator(".messagelist").get_by_role("link", name="George Palomero").click()
    staff.get_by_role("link", name="Send link-connect invite").click()
    staff.get_by_role("button", name="Email the invite to george@example.com").click()
    expect(staff.locator("input.invite-link")).to_have_value(re.compile("/connect/"))

    # George opens the emailed link on his phone and connects two accounts.
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(emailed_link(mail_dir, "george@example.com"))
    phone.get_by_role("button", name="Connect my accounts").click()
    connect_in_wink(phone, "Social Security System (SSS)")
    expect(phone.get_by_role("heading", name="Thank you!")).to_be_visible()
    phone.get_by_role("button", name="Connect another account").click()
    connect_in_wink(phone, "Upwork")
    expect(phone.locator("#accounts li")).to_have_count(2)

    # Smile's signed webhooks arrive; the worker pulls the data; George becomes ready.
    reviewer = browser.new_context().new_page()
    log_in(reviewer, base, "reviewer")
    queue = base + "/admin/verifications/applicant/"
    wait_for_status(reviewer, queue + "?q=E2E-0001", "Ready for review")

    # A reviewer takes George from the queue, compares, and approves.
    reviewer.get_by_role("button", name="Next in my queue").click()
    name_row = reviewer.locator("#identity-comparison").get_by_role("row", name="Name")
    expect(name_row).to_contain_text("partial")
    form = reviewer.locator("#decision-form")
    form.get_by_label("Approve").check()
    form.get_by_label("Reason").select_option(label="Identity and employment verified")
    # Fresh data, a partial name (no middle name, no "Jr") and no recent gap or missed month:
    # nothing needs an override note, and the portal must not invent a concern.
    expect(reviewer.locator(".approval-concerns")).to_have_count(0)
    form.get_by_role("button", name="Record decision").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("is now approved")

    # A loan officer reads the employment history and downloads the CSV.
    officer = browser.new_context().new_page()
    log_in(officer, base, "officer")
    officer.goto(queue + "?q=E2E-0001")
    officer.locator("#result_list").get_by_role("link", name="George Palomero").click()
    officer.get_by_role("link", name="Employment history").click()
    expect(officer.get_by_test_id("timeline")).to_be_visible()
    assert officer.get_by_test_id("timeline-bar").count() >= 6
    assert officer.get_by_test_id("contribution-grid").locator("td.cell-paid").count() > 100
    with officer.expect_download() as download:
        officer.get_by_test_id("employments-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert {row["provider"] for row in rows} == {"sss_ph", "upwork"}

    # Nothing failed on the way, and the data came through Smile's signed webhooks.
    admin = browser.new_context().new_page()
    log_in(admin, base, "admin")
    for event_type in ("ACCOUNT_CONNECTED", "TASK_FINISHED"):
        admin.goto(
            base + "/admin/verifications/webhookevent/"
            f"?status__exact=processed&event_type__exact={event_type}&q=Palomero"
        )
        expect(admin.locator("#changelist")).to_contain_text("2 webhook events")
    admin.goto(base + "/admin/verifications/webhookevent/?status__exact=failed")
    expect(admin.locator("#changelist")).to_contain_text("0 webhook events")
    assert requests.get(base + "/healthz", timeout=10).json()["status"] == "ok"
