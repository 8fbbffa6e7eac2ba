"""Operating the integration: the webhook inbox and its Replay, Refresh data now, commands."""

import hashlib
import hmac
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils.html import escape

from tests import factories
from tests.queue import queued_task_names, run_queued_tasks
from verifications.linked_accounts import refresh_linked_account
from verifications.models import Contribution, SyncRun, WebhookEvent
from verifications.smile import SmileClient
from verifications.smile_users import ensure_smile_user
from verifications.tasks import requeue_webhook_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(smile_sandbox):
    """George with his social-security account connected and known to the portal."""
    george = factories.applicant()
    smile_user = ensure_smile_user(george)
    remote = smile_sandbox.connect(smile_user.smile_id, "sss_ph", "george", "123456")
    with SmileClient.from_settings() as client:
        return refresh_linked_account(george, remote["id"], client=client)


def failed_event(account, event_type="CONTRIBUTIONS_ADDED"):
    body = {
        "id": f"et-{event_type.lower()}",
        "version": 1,
        "type": event_type,
        "createdAt": "2026-11-28T10:00:00Z",
        "data": {
            "userId": account.applicant.smile_user.smile_id,
            "accountId": account.smile_id,
            "count": 3,
            "providers": ["sss_ph"],
        },
    }
    return WebhookEvent.objects.create(
        smile_event_id=body["id"],
        event_type=event_type,
        body=json.dumps(body),
        smile_user_id=body["data"]["userId"],
        smile_account_id=account.smile_id,
        status=WebhookEvent.Status.FAILED,
        attempts=5,
        last_error="SmileUnavailable: Smile is unavailable",
    )


def test_the_inbox_shows_failed_events_with_their_error(client, rita, account):
    event = failed_event(account)
    client.force_login(rita)
    listing = client.get("/admin/verifications/webhookevent/?status__exact=failed").content.decode()
    assert event.smile_event_id in listing
    detail = client.get(f"/admin/verifications/webhookevent/{event.pk}/change/").content.decode()
    assert "Smile is unavailable" in detail
    assert "&quot;CONTRIBUTIONS_ADDED&quot;" in detail or '"CONTRIBUTIONS_ADDED"' in detail


def test_the_inbox_shows_the_body_exactly_as_smile_signed_it(client, rita, settings):
    # Compact, as Smile sends it, with characters that must reach the page escaped.
    raw = json.dumps(
        {
            "id": "et-raw",
            "version": 1,
            "type": "ACCOUNT_FAILED",
            "createdAt": "2026-11-28T10:00:00Z",
            "data": {"userId": "sandbox-" + "0" * 32, "loginName": "<b>José</b> & co"},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    signature = hmac.new(
        settings.SMILE_WEBHOOK_SECRET.encode(), raw.encode(), hashlib.sha512
    ).hexdigest()
    response = client.post(
        "/webhooks/smile/",
        raw.encode(),
        content_type="application/json",
        HTTP_SMILE_SIGNATURE=signature,
    )
    assert response.status_code == 200
    event = WebhookEvent.objects.get(smile_event_id="et-raw")

    client.force_login(rita)
    page = client.get(f"/admin/verifications/webhookevent/{event.pk}/change/").content.decode()
    assert escape(raw) in page  # the signed text itself, not a re-indented copy
    pretty = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    assert escape(pretty) in page  # and a readable one beside it
    assert "<b>José</b>" not in page


def test_replay_in_the_inbox_processes_a_failed_event_again(client, admin_user, account):
    event = failed_event(account)
    client.force_login(admin_user)
    response = client.post(
        "/admin/verifications/webhookevent/",
        {"action": "replay_events", "_selected_action": [event.pk]},
        follow=True,
    )
    assert "1 event(s) queued for processing again." in response.content.decode()
    assert queued_task_names() == ["verifications.tasks.process_webhook_event"]
    assert requeue_webhook_events() == 0  # queued already: the sweeper adds no second copy
    run_queued_tasks()
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 1)
    assert Contribution.objects.filter(account=account).exists()


def test_replay_leaves_ignored_types_and_events_being_processed_alone(client, admin_user, account):
    from django.utils import timezone

    ignored = failed_event(account, event_type="INSIGHT_ADDED")
    WebhookEvent.objects.filter(pk=ignored.pk).update(status=WebhookEvent.Status.IGNORED)
    busy = failed_event(account)
    WebhookEvent.objects.filter(pk=busy.pk).update(
        status=WebhookEvent.Status.PROCESSING, claimed_at=timezone.now(), attempts=1
    )
    client.force_login(admin_user)
    response = client.post(
        "/admin/verifications/webhookevent/",
        {"action": "replay_events", "_selected_action": [ignored.pk, busy.pk]},
        follow=True,
    )
    assert "2 skipped (ignored types, or being processed right now)." in response.content.decode()
    assert queued_task_names() == []
    ignored.refresh_from_db()
    busy.refresh_from_db()
    assert ignored.status == "ignored"
    assert (busy.status, busy.attempts) == ("processing", 1)


def test_reviewers_see_the_inbox_but_cannot_replay(client, rita, account):
    event = failed_event(account)
    client.force_login(rita)
    client.post(
        "/admin/verifications/webhookevent/",
        {"action": "replay_events", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert event.status == "failed"
    assert queued_task_names() == []


def test_refresh_data_now_syncs_every_connected_account_and_shows_the_outcome(
    client, rita, account
):
    client.force_login(rita)
    url = f"/admin/verifications/applicant/{account.applicant.pk}/"
    response = client.post(url + "refresh/", follow=True)
    html = response.content.decode()
    assert "Refreshing 1 account(s): queued for a worker" in html
    # Until a worker starts it, the page says the refresh is waiting (and for whom).
    assert 'id="waiting-refresh"' in html and "Refresh requested by rita" in html
    run_queued_tasks()
    run = SyncRun.objects.get()
    assert (run.trigger, run.status, run.requested_by) == ("manual", "succeeded", rita)
    page = client.get(url + "change/").content.decode()
    assert 'id="waiting-refresh"' not in page
    assert 'id="sync-runs"' in page
    assert f"contributions: {run.counts['CONTRIBUTIONS']['created']} new" in page


@pytest.mark.parametrize("username", ["sam", "omar"])
def test_only_reviewers_refresh_data(client, request, username, account):
    client.force_login(request.getfixturevalue(username))
    response = client.post(f"/admin/verifications/applicant/{account.applicant.pk}/refresh/")
    assert response.status_code == 403
    assert queued_task_names() == []


def test_smile_sync_prints_counts_per_kind(account, smile_sandbox):
    out = StringIO()
    call_command("smile_sync", account.smile_id, stdout=out)
    expected = smile_sandbox.records(account.smile_id)
    count = len(expected["contributions"])
    assert re.search(rf"contributions +{count} created +0 updated +0 unchanged", out.getvalue())
    again = StringIO()
    call_command("smile_sync", account.smile_id, stdout=again)
    assert re.search(rf"contributions +0 created +0 updated +{count} unchanged", again.getvalue())


def test_smile_sync_of_an_unknown_account_is_an_error(db):
    with pytest.raises(CommandError, match="No linked account has Smile id"):
        call_command("smile_sync", "a-" + "0" * 32)


def test_smile_sync_reports_a_failed_sync(account, smile_sandbox):
    smile_sandbox.set_faults(malformed={"kind": "employments", "count": 10})
    with pytest.raises(CommandError, match=r"Sync failed: .*malformed employments record"):
        call_command("smile_sync", account.smile_id)
    assert SyncRun.objects.get().status == "failed"


def test_replay_webhooks_selects_failed_events_by_id_or_date(account):
    failed = failed_event(account)
    WebhookEvent.objects.create(
        smile_event_id="et-ok", event_type="INSIGHT_ADDED", body="{}", status="ignored"
    )
    out = StringIO()
    call_command("replay_webhooks", "--failed", "--since", "2000-01-01", stdout=out)
    assert f"{failed.smile_event_id} CONTRIBUTIONS_ADDED: queued" in out.getvalue()
    assert "1 event(s) replayed." in out.getvalue()

    out = StringIO()
    call_command("replay_webhooks", "--id", failed.smile_event_id, "--now", stdout=out)
    assert "processed" in out.getvalue()
    with pytest.raises(CommandError, match="No stored event has id et-nope"):
        call_command("replay_webhooks", "--id", "et-nope")
    with pytest.raises(CommandError, match="is not a date"):
        call_command("replay_webhooks", "--since", "last tuesday")


@pytest.mark.parametrize(
    ("since", "complaint"),
    [
        ("2024-13-01", "month must be in 1..12"),
        ("2024-02-30", "day is out of range for month"),
        ("2024-01-01T25:00", "hour must be in 0..23"),
    ],
)
def test_replay_webhooks_since_a_day_that_does_not_exist_is_a_clear_error(
    account, since, complaint
):
    failed = failed_event(account)
    with pytest.raises(CommandError, match=rf"--since '{since}' is not a real date .*{complaint}"):
        call_command("replay_webhooks", "--since", since)
    failed.refresh_from_db()
    assert failed.status == "failed"  # nothing was replayed
    assert queued_task_names() == []
