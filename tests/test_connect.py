"""The applicant's connect page and the widget's callbacks: safe, scoped, rate-limited."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.queue import queued_task_names
from verifications import invites
from verifications.linked_accounts import mark_connected
from verifications.models import ConnectEvent, Invite, LinkedAccount, SyncRun
from verifications.smile_users import ensure_smile_user

pytestmark = pytest.mark.django_db

CALLBACKS = [
    "onAccountCreated",
    "onAccountConnected",
    "onAccountRemoved",
    "onAccountError",
    "onTokenExpired",
    "onClose",
    "onUploadsCreated",
    "onUploadsRemoved",
    "onUIEvent",
]


@pytest.fixture
def george(smile_sandbox):
    applicant = factories.applicant(
        first_name="George", last_name="Palomero", email="george@example.com"
    )
    ensure_smile_user(applicant)
    return applicant


@pytest.fixture
def link(george):
    """A working invite for George: (invite, token, path)."""
    invite, url = invites.send_invite(applicant=george, sent_by=None)
    token = url.rsplit("/", 2)[-2]
    return invite, token, f"/connect/{token}/"


@pytest.fixture
def browser_client():
    return Client(enforce_csrf_checks=True)


def csrf_token_of(response) -> str:
    return response.cookies["csrftoken"].value


def open_page(client, path) -> str:
    """Load the page as a browser does (its script asks for a token); return the CSRF token."""
    csrf = csrf_token_of(client.get(path))
    assert client.post(path + "token", HTTP_X_CSRFTOKEN=csrf).status_code == 200
    return csrf


def post_event(client, path, csrf, name, data=None, **extra):
    return client.post(
        path + "events",
        json.dumps({"name": name, "data": data or {}}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
        **extra,
    )


def page_config(response) -> dict:
    html = response.content.decode()
    return json.loads(
        html.split('id="connect-config" type="application/json">')[1].split("</script>")[0]
    )


def test_the_page_starts_wink_with_a_fresh_token_and_the_configured_hosts(
    browser_client, link, smile_sandbox, settings
):
    invite, _, path = link
    response = browser_client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<script src="{smile_sandbox.script_url}"></script>' in html
    config = page_config(response)
    assert config["apiHost"] == smile_sandbox.link_api_url
    assert config["companyName"] == settings.LENDER_NAME
    assert "no-store" in response["Cache-Control"]
    # The page's script asks for the widget's token on load.
    answer = browser_client.post(config["tokenUrl"], HTTP_X_CSRFTOKEN=csrf_token_of(response))
    user_id, _ = smile_sandbox.sandbox.token_user(answer.json()["userToken"])
    assert user_id == invite.applicant.smile_user.smile_id
    assert "no-store" in answer["Cache-Control"]
    invite.refresh_from_db()
    assert invite.opened_at is not None and invite.state == "opened"


def test_a_link_preview_is_not_the_applicant_opening_the_link(
    browser_client, link, smile_sandbox, settings
):
    """Chat apps and mail scanners fetch a link to preview it, running no script."""
    invite, _, path = link
    tokens = len(smile_sandbox.sandbox.store.tokens)
    response = browser_client.get(path, HTTP_USER_AGENT="WhatsApp/2.23.20.0 A")
    assert response.status_code == 200
    assert "userToken" not in page_config(response)
    assert len(smile_sandbox.sandbox.store.tokens) == tokens  # nothing asked of Smile
    invite.refresh_from_db()
    assert invite.state == "sent"
    later = timezone.now() + datetime.timedelta(days=settings.INVITE_REMINDER_DAYS, hours=1)
    assert invites.send_reminders(now=later) == 1


def test_the_page_explains_what_is_shared_and_works_on_a_phone(browser_client, link, settings):
    html = browser_client.get(link[2]).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert settings.LENDER_NAME in html
    for shared in ("Identity", "Employment", "Contributions and income"):
        assert shared in html
    assert "never sees your password" in html


@pytest.mark.parametrize("name", CALLBACKS)
def test_each_widget_callback_is_recorded(browser_client, link, name):
    # The browser test drives the ones the sandbox widget fires; the upload callbacks it
    # never fires are posted here as the page would.
    invite, _, path = link
    csrf = csrf_token_of(browser_client.get(path))
    data = {"reason": "close"} if name == "onClose" else {"accountId": "unknown-account"}
    assert post_event(browser_client, path, csrf, name, data).status_code == 200
    assert list(ConnectEvent.objects.values_list("invite", "name", "data")) == [
        (invite.pk, name, data)
    ]


def test_each_token_request_mints_its_own_token(browser_client, link, smile_sandbox):
    path = link[2]
    csrf = csrf_token_of(browser_client.get(path))
    first, second = (
        browser_client.post(path + "token", HTTP_X_CSRFTOKEN=csrf).json()["userToken"]
        for _ in range(2)
    )
    assert first != second


def test_no_secret_reaches_any_connect_response(browser_client, link, settings):
    settings.SMILE_WEBHOOK_SECRET_PREVIOUS = "previous-webhook-secret"
    invite, _, path = link
    page = browser_client.get(path)
    csrf = csrf_token_of(page)
    responses = [
        page,
        browser_client.post(path + "token", HTTP_X_CSRFTOKEN=csrf),
        post_event(browser_client, path, csrf, "onUIEvent"),
        post_event(browser_client, path, csrf, "onHack"),
    ]
    invites.revoke_invite(invite)
    responses += [
        browser_client.get(path),
        browser_client.post(path + "token", HTTP_X_CSRFTOKEN=csrf),
        browser_client.get("/connect/unknown-link/"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 400, 410, 410, 404]
    for response in responses:
        text = response.content.decode() + json.dumps(dict(response.headers))
        for secret in (
            settings.SMILE_CLIENT_ID,
            settings.SMILE_CLIENT_SECRET,
            settings.SMILE_WEBHOOK_SECRET,
            settings.SMILE_WEBHOOK_SECRET_PREVIOUS,
            settings.SECRET_KEY,
        ):
            assert secret not in text


def test_scripts_are_allowed_only_from_us_and_the_widget(browser_client, link, smile_sandbox):
    policy = browser_client.get(link[2])["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == f"'self' {smile_sandbox.base_url}"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize(
    ("make_unusable", "status", "says"),
    [
        (lambda invite: invites.revoke_invite(invite), 410, "no longer valid"),
        (
            lambda invite: (
                type(invite).objects.filter(pk=invite.pk).update(expires_at=timezone.now())
            ),
            410,
            "has expired",
        ),
        (
            lambda invite: (
                type(invite)
                .objects.filter(pk=invite.pk)
                .update(
                    connected_at=timezone.now(), completed_at=timezone.now() - Invite.DONE_GRACE
                )
            ),
            410,
            "already connected",
        ),
    ],
)
def test_a_link_that_no_longer_works_says_what_to_do(
    browser_client, link, make_unusable, status, says
):
    invite, _, path = link
    make_unusable(invite)
    response = browser_client.get(path)
    assert response.status_code == status
    html = response.content.decode()
    assert says in html
    assert "George" not in html and invite.applicant.email not in html


def test_an_unknown_link_is_404_and_reveals_nothing(browser_client, db):
    response = browser_client.get("/connect/not-a-real-token-at-all/")
    assert response.status_code == 404
    assert "do not recognise this link" in response.content.decode()


def test_resending_makes_the_old_link_stop_working(browser_client, link, george):
    _, _, old_path = link
    _, new_url = invites.send_invite(applicant=george, sent_by=None)
    assert browser_client.get(old_path).status_code == 410
    assert browser_client.get(new_url.split("127.0.0.1:8000")[1]).status_code == 200


def test_callbacks_need_the_csrf_token(browser_client, link):
    path = link[2]
    browser_client.get(path)
    response = browser_client.post(
        path + "events",
        json.dumps({"name": "onUIEvent", "data": {}}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert ConnectEvent.objects.count() == 0


def test_callbacks_are_recorded_against_their_invite(browser_client, link):
    invite, _, path = link
    csrf = csrf_token_of(browser_client.get(path))
    response = post_event(
        browser_client, path, csrf, "onUIEvent", {"eventName": "ProviderListPageOpened"}
    )
    assert response.status_code == 200
    event = ConnectEvent.objects.get()
    assert (event.invite, event.name, event.data) == (
        invite,
        "onUIEvent",
        {"eventName": "ProviderListPageOpened"},
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (json.dumps({"name": "onHack", "data": {}}).encode(), 400),
        (json.dumps({"name": "onUIEvent", "data": []}).encode(), 400),
        (json.dumps({"name": "onUIEvent", "data": {"x": "y" * 9000}}).encode(), 413),
    ],
)
def test_callbacks_that_are_not_what_the_widget_sends_are_refused(
    browser_client, link, body, status
):
    path = link[2]
    csrf = csrf_token_of(browser_client.get(path))
    response = browser_client.post(
        path + "events", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == status
    assert ConnectEvent.objects.count() == 0


def test_on_account_connected_records_the_account_smile_confirms_and_enqueues_a_sync(
    browser_client, link, smile_sandbox, george, django_capture_on_commit_callbacks
):
    invite, _, path = link
    csrf = open_page(browser_client, path)
    account = smile_sandbox.connect(george.smile_user.smile_id, "sss_ph", "george", "123456")
    data = {
        "accountId": account["id"],
        "userId": george.smile_user.smile_id,
        "providerId": "sss_ph",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(browser_client, path, csrf, "onAccountConnected", data)
    assert response.status_code == 200
    # The page lists the account by the name the widget showed, not by "sss_ph".
    assert response.json() == {
        "recorded": "onAccountConnected",
        "providerName": "Social Security System (SSS)",
    }
    linked = LinkedAccount.objects.get()
    assert (linked.smile_id, linked.provider_id, linked.connection_status) == (
        account["id"],
        "sss_ph",
        "CONNECTED",
    )
    assert queued_task_names() == ["verifications.tasks.sync_after_connect"]
    invite.refresh_from_db()
    assert invite.state == "connected"
    george.refresh_from_db()
    assert george.status == "connected"


@pytest.mark.parametrize("down", [False, True])
def test_a_provider_smile_cannot_name_is_listed_by_its_id(
    browser_client, link, smile_sandbox, down
):
    path = link[2]
    csrf = open_page(browser_client, path)
    provider = "not_a_provider" if not down else "upwork"
    if down:
        smile_sandbox.set_faults(errors={"count": 100, "status": 503})
    data = {"accountId": "unknown-account", "providerId": provider}
    response = post_event(browser_client, path, csrf, "onAccountConnected", data)
    # "" tells the page to fall back to the id the widget gave it.
    assert response.json() == {"recorded": "onAccountConnected", "providerName": ""}


def test_an_account_of_someone_else_is_not_recorded(
    browser_client, link, smile_sandbox, django_capture_on_commit_callbacks
):
    path = link[2]
    csrf = csrf_token_of(browser_client.get(path))
    stranger = smile_sandbox.create_user()
    account = smile_sandbox.connect(stranger["id"], "sss_ph", "george", "123456")
    data = {"accountId": account["id"], "userId": stranger["id"], "providerId": "sss_ph"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(browser_client, path, csrf, "onAccountConnected", data).status_code == 200
    assert LinkedAccount.objects.count() == 0
    assert queued_task_names() == []


def test_done_after_connecting_uses_the_link_up(browser_client, link, smile_sandbox, george):
    invite, _, path = link
    csrf = open_page(browser_client, path)
    account = smile_sandbox.connect(george.smile_user.smile_id, "sss_ph", "george", "123456")
    post_event(browser_client, path, csrf, "onAccountConnected", {"accountId": account["id"]})
    post_event(browser_client, path, csrf, "onClose", {"reason": "exit"})
    invite.refresh_from_db()
    assert invite.completed_at is not None
    # A second account can still be added from the thank-you page for a while, then not.
    assert browser_client.get(path).status_code == 200
    type(invite).objects.filter(pk=invite.pk).update(
        completed_at=timezone.now() - Invite.DONE_GRACE
    )
    assert browser_client.get(path).status_code == 410


def test_a_link_used_to_connect_stops_working_when_it_expires(browser_client, link, george):
    # The applicant connected and closed the tab without pressing DONE; weeks later
    # someone holding the email opens the link.
    invite, _, path = link
    csrf = csrf_token_of(browser_client.get(path))
    Invite.objects.filter(pk=invite.pk).update(
        connected_at=timezone.now() - datetime.timedelta(days=8),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    page = browser_client.get(path)
    assert page.status_code == 410
    assert "already connected" in page.content.decode()
    assert browser_client.post(path + "token", HTTP_X_CSRFTOKEN=csrf).status_code == 410
    assert post_event(browser_client, path, csrf, "onUIEvent").status_code == 410
    invite.refresh_from_db()
    assert invite.state == "connected"  # its story for staff stays "connected"


def test_done_gives_no_time_past_the_expiry(browser_client, link):
    invite, _, path = link
    Invite.objects.filter(pk=invite.pk).update(
        connected_at=timezone.now(),
        completed_at=timezone.now(),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert browser_client.get(path).status_code == 410


def test_a_connection_after_expiry_does_not_bring_the_link_back(browser_client, link, george):
    invite, _, path = link
    open_page(browser_client, path)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now())
    assert browser_client.get(path).status_code == 410
    mark_connected(george)  # e.g. Smile's ACCOUNT_CONNECTED webhook arriving late
    page = browser_client.get(path)
    assert page.status_code == 410 and "has expired" in page.content.decode()
    invite.refresh_from_db()
    assert invite.connected_at is None and invite.state == "expired"


def test_resending_stops_a_link_used_up_moments_ago(browser_client, link, george):
    invite, _, path = link
    Invite.objects.filter(pk=invite.pk).update(
        connected_at=timezone.now(), completed_at=timezone.now()
    )
    assert browser_client.get(path).status_code == 200  # within DONE's grace
    invites.send_invite(applicant=george, sent_by=None)
    assert browser_client.get(path).status_code == 410


def test_a_repeated_connection_callback_syncs_once_a_minute(
    browser_client,
    link,
    smile_sandbox,
    george,
    caplog,
    time_machine,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to(timezone.now(), tick=False)
    path = link[2]
    csrf = csrf_token_of(browser_client.get(path))
    account = smile_sandbox.connect(george.smile_user.smile_id, "sss_ph", "george", "123456")
    data = {"accountId": account["id"]}

    def smile_gets() -> int:
        return sum(f"GET /accounts/{account['id']}" in r.getMessage() for r in caplog.records)

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert (
                post_event(browser_client, path, csrf, "onAccountConnected", data).status_code
                == 200
            )
    assert queued_task_names() == ["verifications.tasks.sync_after_connect"]
    assert smile_gets() == 1
    assert ConnectEvent.objects.filter(name="onAccountConnected").count() == 5

    # A minute on, a sync that started meanwhile (from a webhook, say) is enough too.
    time_machine.shift(datetime.timedelta(seconds=61))
    SyncRun.objects.create(account=LinkedAccount.objects.get(), trigger=SyncRun.Trigger.WEBHOOK)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(browser_client, path, csrf, "onAccountConnected", data)
    assert len(queued_task_names()) == 1 and smile_gets() == 1

    time_machine.shift(datetime.timedelta(seconds=61))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(browser_client, path, csrf, "onAccountConnected", data)
    assert len(queued_task_names()) == 2 and smile_gets() == 2


def test_a_content_length_that_is_not_a_number_is_refused(browser_client, link):
    path = link[2]
    csrf = csrf_token_of(browser_client.get(path))
    response = post_event(browser_client, path, csrf, "onUIEvent", CONTENT_LENGTH="abc")
    assert response.status_code == 400
    assert "Content-Length" in response.json()["error"]
    assert ConnectEvent.objects.count() == 0


def test_closing_without_connecting_keeps_the_link_working(browser_client, link):
    _, _, path = link
    csrf = csrf_token_of(browser_client.get(path))
    post_event(browser_client, path, csrf, "onClose", {"reason": "close"})
    assert browser_client.get(path).status_code == 200


def test_a_fresh_token_for_on_token_expired(browser_client, link, smile_sandbox, george):
    path = link[2]
    csrf = csrf_token_of(browser_client.get(path))
    response = browser_client.post(path + "token", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200
    user_id, _ = smile_sandbox.sandbox.token_user(response.json()["userToken"])
    assert user_id == george.smile_user.smile_id
    assert browser_client.post(path + "token").status_code == 403  # no CSRF token


def test_smile_down_answers_the_pages_token_request_with_a_readable_error(
    browser_client, link, smile_sandbox
):
    # The page itself needs nothing from Smile; its script shows the error (browser test).
    invite, _, path = link
    smile_sandbox.set_faults(errors={"count": 100, "status": 503})
    page = browser_client.get(path)
    assert page.status_code == 200
    response = browser_client.post(path + "token", HTTP_X_CSRFTOKEN=csrf_token_of(page))
    assert response.status_code == 503
    assert response.json() == {"error": "Verification is unavailable; try again soon."}
    invite.refresh_from_db()
    assert invite.state == "opened"  # the applicant's browser ran the page all the same


def test_the_page_is_rate_limited_per_ip(client, db, one_rate_limit_window):
    # Different invites (unknown ones, even), one address: the address's limit applies.
    statuses = [client.get(f"/connect/unknown-token-{n}/").status_code for n in range(121)]
    assert statuses[:120] == [404] * 120
    assert statuses[120] == 429


def test_a_rate_limited_applicant_gets_a_page_and_the_widget_json(
    browser_client, link, one_rate_limit_window
):
    path = link[2]
    csrf = csrf_token_of(browser_client.get(path))
    for _ in range(119):
        post_event(browser_client, path, csrf, "onUIEvent")
    page = browser_client.get(path)
    assert page.status_code == 429 and page["Retry-After"] == "60"
    assert page["Content-Type"].startswith("text/html")
    assert "Please wait a minute" in page.content.decode()
    callback = post_event(browser_client, path, csrf, "onUIEvent")
    assert callback.status_code == 429
    assert callback.json() == {"error": "Too many requests; try again in a minute."}


def test_fresh_tokens_are_rate_limited_per_invite(link, smile_sandbox, one_rate_limit_window):
    _, _, path = link
    clients = [Client(REMOTE_ADDR=f"10.0.1.{n}") for n in range(1, 5)]
    csrf = {browser: csrf_token_of(browser.get(path)) for browser in clients}
    statuses = [
        clients[n % 4].post(path + "token", HTTP_X_CSRFTOKEN=csrf[clients[n % 4]]).status_code
        for n in range(117)
    ]
    assert statuses[:116] == [200] * 116  # the four page loads counted too
    assert statuses[116] == 429


def test_callbacks_are_rate_limited_per_invite(link, one_rate_limit_window):
    _, _, path = link
    # Different addresses, one invite: the invite's own limit still applies.
    clients = [Client(REMOTE_ADDR=f"10.0.0.{n}") for n in range(1, 5)]
    csrf = {}
    statuses = []
    for n in range(121):
        browser = clients[n % 4]
        if browser not in csrf:
            csrf[browser] = csrf_token_of(browser.get(path))
        statuses.append(post_event(browser, path, csrf[browser], "onUIEvent").status_code)
    assert statuses.count(200) == 120 - 4  # the four page loads counted too
    assert statuses[-1] == 429
