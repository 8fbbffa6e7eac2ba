"""The stand-in widget in a real browser, on a host page with a strict Content-Security-Policy.

The host page is served from its own origin (another port), like the portal's connect page,
so the widget's calls to the Link API cross origins exactly as they will in production.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sandbox_support import WEBHOOK_SECRET

HOST_JS = b"""
(function () {
  'use strict';
  window.events = [];
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', function (event) {
    window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
  });
  var params = new URLSearchParams(window.location.search);
  var options = { userToken: params.get('token'), companyName: 'Acme Lending' };
  if (params.get('providers')) options.providers = params.get('providers').split(',');
  if (params.get('top')) options.topProviders = params.get('top').split(',');
  if (params.get('consent')) options.enableConsentPage = true;
  if (params.get('search')) options.enableSearchBar = true;
  [
    'onAccountCreated', 'onAccountConnected', 'onAccountRemoved', 'onAccountError',
    'onTokenExpired', 'onClose', 'onUploadsCreated', 'onUploadsRemoved', 'onUIEvent'
  ].forEach(function (name) {
    options[name] = function (data) {
      window.events.push({ name: name, data: data === undefined ? null : data });
    };
  });
  document.getElementById('open').addEventListener('click', function () {
    new SmileLinkModal(options).open();
  });
})();
"""


@pytest.fixture
def host(sandbox) -> Iterator[str]:
    """A bare host page that loads the widget from the sandbox, under a strict CSP."""
    sandbox_origin = sandbox.base_url
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host</title>
<script src="{sandbox.script_url}"></script><script src="/host.js" defer></script>
</head><body><main><h1>Acme Lending</h1>
<button id="open" type="button">Connect your accounts</button></main></body></html>""".encode()
    policy = (
        "default-src 'self'; "
        f"script-src 'self' {sandbox_origin}; "
        f"style-src 'self' {sandbox_origin}; "
        f"connect-src 'self' {sandbox_origin}; "
        "img-src 'self'"
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/host.js":
                body, content_type = HOST_JS, "application/javascript"
            elif path == "/":
                body, content_type = page, "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def open_widget(page: Page, host: str, token: str, **options: str) -> None:
    query = "".join(f"&{name}={value}" for name, value in options.items())
    page.goto(f"{host}?token={token}{query}")
    page.get_by_role("button", name="Connect your accounts").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def events(page: Page, name: str | None = None) -> list:
    recorded = page.evaluate("window.events")
    return [event["data"] for event in recorded if name is None or event["name"] == name]


def log_in(page: Page, login: str, password: str) -> None:
    page.get_by_label("Username, email or phone", exact=True).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue").click()


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Verification code", exact=True).fill(code)
    page.get_by_role("button", name="Verify").click()


def signed_bodies(received: list) -> list[dict]:
    """The webhook bodies, once each signature is checked (hex HMAC-SHA512 of the raw body)."""
    bodies = []
    for item in received:
        expected = hmac.new(WEBHOOK_SECRET.encode(), item.body, hashlib.sha512).hexdigest()
        assert hmac.compare_digest(item.headers["Smile-Signature"], expected)
        bodies.append(json.loads(item.body))
    return bodies


def test_george_connects_sss_and_a_signed_webhook_arrives(page, sandbox, host, receiver):
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    user_id = sandbox.create_user()["id"]
    token = sandbox.issue_token(user_id)["accessToken"]

    open_widget(page, host, token)
    dialog = page.get_by_role("dialog", name="Select your provider")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    assert page.evaluate("document.querySelector('[role=dialog]').contains(document.activeElement)")
    page.get_by_role("button", name="Social Security System (SSS)").click()
    expect(
        page.get_by_role("heading", name="Log in to Social Security System (SSS)")
    ).to_be_visible()
    log_in(page, "george", "123456")
    enter_code(page, "1234")
    expect(page.get_by_role("heading", name="Account connected")).to_be_visible()

    [connected] = events(page, "onAccountConnected")
    account_id = connected["accountId"]
    assert connected == {"accountId": account_id, "userId": user_id, "providerId": "sss_ph"}
    assert events(page, "onAccountCreated") == [connected]
    assert [event["eventName"] for event in events(page, "onUIEvent")] == [
        "ProviderListPageOpened",
        "LoginPageOpened",
        "MfaPageOpened",
        "ConnectSuccessPageOpened",
    ]
    last_ui = events(page, "onUIEvent")[-1]
    assert last_ui["mode"] == "SANDBOX" and last_ui["userId"] == user_id
    assert last_ui["account"] == {"providerId": "sss_ph", "accountId": account_id}

    page.get_by_role("button", name="DONE").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert events(page, "onClose") == [{"reason": "exit"}]
    assert page.evaluate("window.cspViolations") == []

    # USER_CREATED, ACCOUNT_CREATED, and seven for the link
    bodies = signed_bodies(receiver.wait_for(9))
    [connected_event] = [body for body in bodies if body["type"] == "ACCOUNT_CONNECTED"]
    assert connected_event["data"]["accountId"] == account_id
    assert connected_event["data"]["userId"] == user_id
    assert connected_event["data"]["loginName"] == "george"


def test_a_wrong_password_shows_an_error_and_fires_on_account_error(page, sandbox, host):
    user_id = sandbox.create_user()["id"]
    token = sandbox.issue_token(user_id)["accessToken"]

    open_widget(page, host, token, providers="sss_ph")  # one provider: no list
    expect(
        page.get_by_role("heading", name="Log in to Social Security System (SSS)")
    ).to_be_visible()
    log_in(page, "george", "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("The login or password is incorrect.")

    [error] = events(page, "onAccountError")
    assert error == {
        "accountId": error["accountId"],
        "userId": user_id,
        "providerId": "sss_ph",
        "errorCode": "INVALID_CREDENTIALS",
    }
    assert error["accountId"].startswith("a-")
    assert events(page, "onAccountCreated") == [
        {"accountId": error["accountId"], "userId": user_id, "providerId": "sss_ph"}
    ]

    # Trying again logs in to the same account: it is not created a second time.
    log_in(page, "george", "123456")
    expect(page.get_by_role("heading", name="Enter the verification code")).to_be_visible()
    assert len(events(page, "onAccountCreated")) == 1
    assert [event["type"] for event in sandbox.events].count("ACCOUNT_CREATED") == 1
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert events(page, "onClose") == [{"reason": "close"}]


def test_a_wrong_code_shows_an_error_fires_on_account_error_and_is_announced(
    page, sandbox, host, receiver
):
    sandbox.configure_webhooks(receiver.url, WEBHOOK_SECRET)
    user_id = sandbox.create_user()["id"]
    token = sandbox.issue_token(user_id)["accessToken"]

    open_widget(page, host, token, providers="sss_ph")
    log_in(page, "george", "123456")
    enter_code(page, "0000")
    expect(page.get_by_role("alert")).to_have_text("The verification code is incorrect.")
    expect(page.get_by_role("heading", name="Enter the verification code")).to_be_visible()

    [created] = events(page, "onAccountCreated")
    assert events(page, "onAccountError") == [{**created, "errorCode": "INVALID_MFA"}]
    assert events(page, "onAccountConnected") == []
    # USER_CREATED, ACCOUNT_CREATED, ACCOUNT_FAILED: signed, like every webhook.
    bodies = signed_bodies(receiver.wait_for(3))
    [failed] = [body for body in bodies if body["type"] == "ACCOUNT_FAILED"]
    assert failed["data"] == {
        "userId": user_id,
        "accountId": created["accountId"],
        "providers": ["sss_ph"],
        "loginName": "george",
        "errorCode": "INVALID_MFA",
        "errorMessage": "The verification code is incorrect.",
    }

    # The code can be entered again on the same page; the right one connects.
    enter_code(page, "1234")
    expect(page.get_by_role("heading", name="Account connected")).to_be_visible()
    assert events(page, "onAccountConnected") == [created]


def test_a_token_opens_one_widget_only(page, sandbox, host):
    user_id = sandbox.create_user()["id"]
    token = sandbox.issue_token(user_id)["accessToken"]

    open_widget(page, host, token, providers="grab")
    log_in(page, "george", "123456")
    enter_code(page, "1234")
    page.get_by_role("button", name="DONE").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert events(page, "onTokenExpired") == []

    # The host page opens Wink again with the same token: refused as an expired one is.
    # (The click opens the modal at once; it closes when the Link API refuses the token.)
    page.get_by_role("button", name="Connect your accounts").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert events(page, "onTokenExpired") == [None]
    assert events(page, "onClose") == [{"reason": "exit"}]


def test_an_expired_token_fires_on_token_expired_and_closes(page, sandbox, host):
    user_id = sandbox.create_user()["id"]
    token = sandbox.issue_token(user_id)["accessToken"]

    open_widget(page, host, token)
    page.get_by_role("button", name="Upwork").click()
    sandbox.expire_tokens()
    log_in(page, "george", "123456")

    expect(page.get_by_role("dialog")).to_have_count(0)
    assert events(page, "onTokenExpired") == [None]
    assert events(page, "onClose") == []
    assert events(page, "onAccountCreated") == []


def test_consent_search_top_providers_and_disconnecting(page, sandbox, host):
    user_id = sandbox.create_user()["id"]
    grab = sandbox.connect(user_id, "grab", "george", "123456")
    token = sandbox.issue_token(user_id)["accessToken"]

    open_widget(page, host, token, consent="1", search="1", top="upwork")
    expect(page.get_by_role("heading", name="Connect your accounts")).to_be_visible()
    expect(page.get_by_text("Acme Lending uses Smile")).to_be_visible()
    page.get_by_role("button", name="I agree").click()
    providers = page.get_by_role("list", name="Providers").get_by_role("button")
    expect(providers.first).to_have_text("Upwork")
    page.get_by_label("Search providers").fill("gra")
    expect(providers).to_have_text(["Grab"])

    page.get_by_role("button", name="Disconnect Grab").click()
    expect(page.get_by_role("heading", name="Disconnect Grab?")).to_be_visible()
    page.get_by_role("button", name="Disconnect", exact=True).click()
    expect(page.get_by_role("heading", name="Select your provider")).to_be_visible()
    expect(page.get_by_role("button", name="Disconnect Grab")).to_have_count(0)
    assert events(page, "onAccountRemoved") == [
        {"accountId": grab["id"], "userId": user_id, "providerId": "grab"}
    ]
    assert [event["eventName"] for event in events(page, "onUIEvent")] == [
        "ConsentPageOpened",
        "ProviderListPageOpened",
        "AccountRevokePageOpened",
        "ProviderListPageOpened",
    ]
    assert sandbox.records(grab["id"]) == {}
    assert page.evaluate("window.cspViolations") == []
