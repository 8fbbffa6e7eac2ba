"""Link-connect in a real browser: staff send an invite, the applicant connects in Wink."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.processes import ROOT, wait_until
from verifications.models import ConnectEvent, Invite, LinkedAccount

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = ROOT / "test-artifacts"


def log_in(page, portal_url, user):
    page.goto(portal_url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-" + user.username)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def connect_in_wink(
    page, provider="Social Security System (SSS)", login="george", password="123456"
):
    modal = page.get_by_role("dialog")
    modal.get_by_role("button", name=provider).click()
    modal.get_by_label("Username, email or phone").fill(login)
    modal.get_by_label("Password").fill(password)
    modal.get_by_role("button", name="Continue").click()
    modal.get_by_label("Verification code").fill("1234")
    modal.get_by_role("button", name="Verify").click()
    expect(modal.get_by_text("account is connected")).to_be_visible()
    return modal


def test_staff_invite_and_the_applicant_connects_george(
    browser, page, portal_url, smile_sandbox, sam
):
    log_in(page, portal_url, sam)
    page.goto(portal_url + "/admin/verifications/applicant/add/")
    page.get_by_label("First name").fill("George")
    page.get_by_label("Last name").fill("Palomero")
    page.get_by_label("Email").fill("george@example.com")
    page.get_by_label("External reference").fill("LOAN-77")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.locator("#result_list").get_by_role("link", name="George Palomero").click()
    page.get_by_role("link", name="Send link-connect invite").click()
    page.get_by_role("button", name="Email the invite to george@example.com").click()
    shown = page.locator("input.invite-link").input_value()

    [email] = mail.outbox
    [link] = re.findall(r"http://localhost:\d+/connect/[^/\s]+/", email.body)
    assert link == shown

    # The applicant opens the emailed link on their own device: a fresh browser context.
    applicant = browser.new_context(viewport={"width": 390, "height": 844})
    phone = applicant.new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Hi George, verify your employment")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "connect-phone.png"), full_page=True)
    phone.get_by_role("button", name="Connect my accounts").click()
    modal = connect_in_wink(phone)
    phone.screenshot(path=str(ARTIFACTS / "connect-phone-wink.png"))
    expect(phone.locator("#accounts")).to_contain_text("sss_ph")
    modal.get_by_role("button", name="DONE").click()
    expect(phone.get_by_role("heading", name="Thank you!")).to_be_visible()
    applicant.close()

    page.get_by_role("link", name="George Palomero").click()
    expect(page.locator("#invites-group")).to_contain_text("Connected")
    expect(page.locator("#linked_accounts-group")).to_contain_text("sss_ph")
    expect(page.locator("#linked_accounts-group")).to_contain_text("Connected")
    account = LinkedAccount.objects.get()
    assert account.applicant.external_reference == "LOAN-77"
    assert Invite.objects.get().state == "connected"
    names = list(ConnectEvent.objects.values_list("name", flat=True))
    assert names[:1] == ["onUIEvent"] and "onAccountConnected" in names and names[-1] == "onClose"


def test_an_expired_token_is_replaced_and_the_widget_reopens(page, portal_url, smile_sandbox):
    from tests import factories
    from verifications import invites
    from verifications.smile_users import ensure_smile_user

    george = factories.applicant()
    ensure_smile_user(george)
    _, link = invites.send_invite(applicant=george, sent_by=None, email=False)

    page.goto(link)
    smile_sandbox.expire_tokens()  # the page's token dies before the applicant clicks
    page.get_by_role("button", name="Connect my accounts").click()

    connect_in_wink(page)
    expect(page.locator("#accounts")).to_contain_text("sss_ph")
    assert ConnectEvent.objects.filter(name="onTokenExpired").count() == 1
    # The page reports the connection in the background; Smile confirms it to us.
    account = wait_until(lambda: LinkedAccount.objects.first(), timeout=10)
    assert account.connection_status == "CONNECTED"
