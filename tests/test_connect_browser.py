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
    # Opened once the page's script ran (a link preview's GET does not count).
    expect(phone.locator("#intro")).to_have_attribute("data-state", "ready")
    assert Invite.objects.get().state == "opened"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "connect-phone.png"), full_page=True)
    phone.get_by_role("button", name="Connect my accounts").click()
    modal = connect_in_wink(phone)
    phone.screenshot(path=str(ARTIFACTS / "connect-phone-wink.png"))
    modal.get_by_role("button", name="DONE").click()
    thanks = phone.get_by_role("heading", name="Thank you!")
    expect(thanks).to_be_visible()
    # Listed as the widget named it; the thanks come first, then "Connect another account".
    expect(phone.locator("#accounts li")).to_have_text(["Social Security System (SSS)"])
    another = phone.get_by_role("button", name="Connect another account")
    assert thanks.bounding_box()["y"] < another.bounding_box()["y"]
    phone.screenshot(path=str(ARTIFACTS / "connect-phone-done.png"), full_page=True)
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
    expect(page.locator("#intro")).to_have_attribute("data-state", "ready")  # token fetched
    smile_sandbox.expire_tokens()  # the page's token dies before the applicant clicks
    page.get_by_role("button", name="Connect my accounts").click()

    connect_in_wink(page)
    expect(page.locator("#accounts")).to_contain_text("Social Security System (SSS)")
    assert ConnectEvent.objects.filter(name="onTokenExpired").count() == 1
    # The page reports the connection in the background; Smile confirms it to us.
    account = wait_until(lambda: LinkedAccount.objects.first(), timeout=10)
    assert account.connection_status == "CONNECTED"


def test_smile_down_the_page_says_to_try_again_later(page, portal_url, smile_sandbox):
    from tests import factories
    from verifications import invites
    from verifications.smile_users import ensure_smile_user

    george = factories.applicant()
    ensure_smile_user(george)
    _, link = invites.send_invite(applicant=george, sent_by=None, email=False)
    smile_sandbox.set_faults(errors={"count": 100, "status": 503})
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text(
        "We cannot reach our secure verification partner right now."
    )
    expect(page.get_by_role("button", name="Connect my accounts")).to_be_hidden()


# Installed after the sandbox's script loaded: each widget the page opens notes the options
# it was given (the sandbox widget keeps them as `this.options`).
RECORD_WIDGET_OPTIONS = """() => {
  const Widget = window.SmileLinkModal;
  window.widgetOptions = [];
  window.SmileLinkModal = class extends Widget {
    constructor(options) {
      super(options);
      window.widgetOptions.push({userToken: this.options.userToken,
                                 templateId: this.options.templateId,
                                 apiHost: this.options.apiHost});
    }
  };
}"""


def test_every_callback_the_widget_fires_reaches_the_backend(
    page, portal_url, smile_sandbox, settings
):
    from tests import factories
    from verifications import invites
    from verifications.smile_users import ensure_smile_user

    settings.SMILE_TEMPLATE_ID = "tpl-portal-test"
    george = factories.applicant(first_name="George")
    smile_id = ensure_smile_user(george).smile_id
    invite, link = invites.send_invite(applicant=george, sent_by=None, email=False)
    page.goto(link)
    page.evaluate(RECORD_WIDGET_OPTIONS)

    def fired(name: str, count: int = 1) -> list[dict]:
        events = wait_until(
            lambda: (
                found
                if len(found := list(ConnectEvent.objects.filter(name=name))) >= count
                else None
            ),
            timeout=10,
        )
        return [event.data for event in events]

    page.get_by_role("button", name="Connect my accounts").click()
    modal = page.get_by_role("dialog")
    modal.get_by_role("button", name="Social Security System (SSS)").click()
    modal.get_by_label("Username, email or phone").fill("george")
    modal.get_by_label("Password").fill("not-his-password")
    modal.get_by_role("button", name="Continue").click()
    expect(modal.get_by_text("The login or password is incorrect.")).to_be_visible()
    [error] = fired("onAccountError")
    assert error["errorCode"] == "INVALID_CREDENTIALS" and error["providerId"] == "sss_ph"

    modal.get_by_label("Password").fill("123456")
    modal.get_by_role("button", name="Continue").click()
    modal.get_by_label("Verification code").fill("1234")
    modal.get_by_role("button", name="Verify").click()
    modal.get_by_role("button", name="DONE").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    [connected] = fired("onAccountConnected")
    assert connected["userId"] == smile_id
    # Reported in the order fired, so every onAccountCreated is in by now.
    created = {data["accountId"] for data in fired("onAccountCreated")}
    assert {error["accountId"], connected["accountId"]} <= created
    account = wait_until(lambda: LinkedAccount.objects.first(), timeout=10)
    assert account.smile_id == connected["accountId"]

    # "Connect another account": a new widget with a new token, where George disconnects.
    page.get_by_role("button", name="Connect another account").click()
    modal.get_by_role("button", name="Disconnect Social Security System (SSS)").click()
    modal.get_by_role("button", name="Disconnect", exact=True).click()
    expect(modal.get_by_role("heading", name="Select your provider")).to_be_visible()
    [removed] = fired("onAccountRemoved")
    assert removed["accountId"] == account.smile_id
    modal.get_by_role("button", name="Close").click()

    closes = [data["reason"] for data in fired("onClose", 2)]
    assert closes == ["exit", "close"]
    ui = [data["eventName"] for data in fired("onUIEvent")]
    assert {"ProviderListPageOpened", "LoginPageOpened", "ConnectSuccessPageOpened"} <= set(ui)
    assert set(ConnectEvent.objects.values_list("invite", flat=True)) == {invite.pk}

    options = page.evaluate("window.widgetOptions")
    assert [o["templateId"] for o in options] == ["tpl-portal-test"] * 2
    assert {o["apiHost"] for o in options} == {smile_sandbox.link_api_url}
    first, second = (o["userToken"] for o in options)
    assert first != second
    tokens = smile_sandbox.sandbox.store.tokens
    assert tokens[first]["userId"] == tokens[second]["userId"] == smile_id


def test_copy_link_puts_the_new_link_on_the_clipboard(browser, portal_url, smile_sandbox, sam):
    from tests import factories

    george = factories.applicant(first_name="George", last_name="Palomero")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal_url)
    page = context.new_page()
    log_in(page, portal_url, sam)
    page.goto(f"{portal_url}/admin/verifications/applicant/{george.pk}/send-invite/")
    page.get_by_role("button", name="Only create a link to copy").click()
    shown = page.get_by_label("Invite link for George Palomero").input_value()
    assert shown.startswith(portal_url + "/connect/")

    copy = page.locator("#invite-links button.copy-link")
    expect(copy).to_have_text("Copy link")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == shown
    context.close()
