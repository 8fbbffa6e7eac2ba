"""What each kind of Smile event does once a worker processes it, driven by signed webhooks
the sandbox delivers to the portal under test: the account events, the data-task events and
the *_ADDED / *_UPDATED events of every kind we store.
"""

from decimal import Decimal

import pytest

from tests import factories
from tests.queue import run_queued_tasks
from tests.webhook_support import (
    assert_stored_equals_sandbox,
    connect,
    settle,
    smile_changes,
    smile_sends,
)
from verifications.models import (
    Contribution,
    Employment,
    EstimatedIncome,
    Income,
    LinkedAccount,
    SyncRun,
    WebhookEvent,
)
from verifications.smile_users import ensure_smile_user
from verifications.webhook_replay import replay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def george(smile_sandbox, receiver):
    """George, whose Smile user the portal created; Smile's webhooks reach the portal."""
    applicant = factories.applicant(first_name="George", last_name="Palomero")
    ensure_smile_user(applicant)
    return applicant


@pytest.fixture
def connected(smile_sandbox, george):
    """George connected his social-security account; every event of it is processed."""
    account, _ = connect(smile_sandbox, george)
    settle(smile_sandbox)
    return account


def applicant_page(client, user, applicant) -> str:
    client.force_login(user)
    response = client.get(f"/admin/verifications/applicant/{applicant.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def statuses_of(*event_types: str) -> set[str]:
    return set(
        WebhookEvent.objects.filter(event_type__in=event_types).values_list("status", flat=True)
    )


# --- Account events ---------------------------------------------------------------------------


def test_a_wrong_password_shows_smiles_error_on_the_applicant(smile_sandbox, george, client, rita):
    connect(smile_sandbox, george, password="not-his-password")
    settle(smile_sandbox)

    assert statuses_of("ACCOUNT_CREATED", "ACCOUNT_FAILED") == {"processed"}
    linked = LinkedAccount.objects.get(applicant=george)
    assert (linked.connection_status, linked.error_code) == ("ERROR", "INVALID_CREDENTIALS")
    assert linked.error_message == "The login or password is incorrect."
    page = applicant_page(client, rita, george)
    assert "INVALID_CREDENTIALS" in page
    assert "The login or password is incorrect." in page

    # He types the right password: the same account connects and the error goes away.
    account, _ = connect(smile_sandbox, george)
    settle(smile_sandbox)
    linked.refresh_from_db()
    assert (linked.smile_id, linked.connection_status, linked.error_code) == (
        account["id"],
        "CONNECTED",
        "",
    )
    assert "The login or password is incorrect." not in applicant_page(client, rita, george)
    assert_stored_equals_sandbox(smile_sandbox, account["id"])


def test_a_revoked_account_is_disconnected_and_its_data_kept(smile_sandbox, connected):
    before = Contribution.objects.filter(account__smile_id=connected["id"]).count()
    assert before > 0

    smile_sandbox.revoke(connected["id"])  # Smile deletes the account and its data
    settle(smile_sandbox)

    assert statuses_of("ACCOUNT_DISCONNECTED") == {"processed"}
    linked = LinkedAccount.objects.get(smile_id=connected["id"])
    assert linked.connection_status == "DISCONNECTED"
    assert Contribution.objects.filter(account=linked).count() == before


def test_a_late_account_connected_after_smile_deleted_the_account_is_not_a_failure(
    smile_sandbox, connected
):
    smile_sandbox.revoke(connected["id"])
    settle(smile_sandbox)

    # The connection's event comes round again (replayed, or delivered late): Smile answers
    # 404 for the account now, and that is what the account is, gone, not an error.
    late = WebhookEvent.objects.get(event_type="ACCOUNT_CONNECTED")
    assert replay([late], run_now=True) == [(late, "processed")]
    late.refresh_from_db()
    assert late.status == "processed"
    assert f"Smile no longer has account {connected['id']}" in late.last_error
    linked = LinkedAccount.objects.get(smile_id=connected["id"])
    assert linked.connection_status == "DISCONNECTED"
    assert Contribution.objects.filter(account=linked).exists()


def test_events_processed_after_the_account_was_revoked_and_never_stored_end_quietly(
    smile_sandbox, george
):
    account, events = connect(smile_sandbox, george)
    smile_sandbox.revoke(account["id"])
    # Everything arrives and is stored before a worker gets to it; by then Smile has no account.
    settle(smile_sandbox)

    handled = WebhookEvent.objects.exclude(event_type__in=["USER_CREATED", "TASK_STARTED"])
    assert handled.count() == len(events)  # the connection's events and ACCOUNT_DISCONNECTED
    assert set(handled.values_list("status", flat=True)) == {"processed"}
    assert all("we never stored it" in event.last_error for event in handled)
    assert not LinkedAccount.objects.exists()
    assert not SyncRun.objects.exists()


# --- Data tasks -------------------------------------------------------------------------------


def test_a_failed_data_task_is_recorded_and_shown_on_the_applicant(
    smile_sandbox, george, connected, client, rita
):
    task = {
        "userId": george.smile_user.smile_id,
        "sourceId": connected["id"],
        "sourceType": "ACCOUNT",
        "taskType": "UPDATE_ACCOUNT",
        "providers": ["sss_ph"],
    }
    failed = smile_sends(
        smile_sandbox, "TASK_FINISHED", **task, status="FAILED", errorCode="SYSTEM_ERROR"
    )
    settle(smile_sandbox)

    event = WebhookEvent.objects.get(smile_event_id=failed["id"])
    assert event.status == "processed"
    assert event.last_error == "Smile's task failed with SYSTEM_ERROR."
    assert not event.sync_runs.exists()  # nothing to pull from a task that failed
    assert LinkedAccount.objects.get(smile_id=connected["id"]).task_error == "SYSTEM_ERROR"
    assert "SYSTEM_ERROR" in applicant_page(client, rita, george)

    # Smile's next task succeeds: the error is history.
    smile_sends(
        smile_sandbox,
        "TASK_FINISHED",
        **task,
        status="SUCCEEDED",
        errorCode=None,
        datapoints=["EMPLOYMENTS"],
    )
    settle(smile_sandbox)
    assert LinkedAccount.objects.get(smile_id=connected["id"]).task_error == ""
    assert "SYSTEM_ERROR" not in applicant_page(client, rita, george)


def test_smiles_monthly_sync_pulls_the_kinds_its_event_lists(smile_sandbox, connected):
    added = smile_sandbox.refresh(connected["id"])["added"]["contributions"]
    settle(smile_sandbox)

    monthly = WebhookEvent.objects.get(event_type="ACCOUNT_SYNC_TASK_FINISHED")
    assert monthly.status == "processed"
    assert [run.kinds for run in monthly.sync_runs.all()] == [["CONTRIBUTIONS"]]
    assert Contribution.objects.filter(smile_id=added[0]["id"]).exists()
    assert_stored_equals_sandbox(smile_sandbox, connected["id"])


def test_the_monthly_sync_event_spelled_with_datapoints_in_camel_case_works_too(
    smile_sandbox, george, connected
):
    # One example in Smile's documentation spells the list `dataPoints`.
    changed = smile_changes(smile_sandbox, connected["id"], "employments", jobTitle="Manager")
    sent = smile_sends(
        smile_sandbox,
        "ACCOUNT_SYNC_TASK_FINISHED",
        userId=george.smile_user.smile_id,
        sourceId=connected["id"],
        sourceType="ACCOUNT",
        taskType="UPDATE_ACCOUNT",
        providers=["sss_ph"],
        status="SUCCEEDED",
        errorCode=None,
        monitorStatus="ACTIVE",
        dataPoints=["EMPLOYMENTS"],
    )
    settle(smile_sandbox)

    event = WebhookEvent.objects.get(smile_event_id=sent["id"])
    assert (event.status, event.last_error) == ("processed", "")
    assert [run.kinds for run in event.sync_runs.all()] == [["EMPLOYMENTS"]]
    assert Employment.objects.get(smile_id=changed["id"]).job_title == "Manager"


def test_a_request_for_information_is_answered_by_a_new_account_not_by_smiles_monthly_sync(
    smile_sandbox, george, connected, rita, sam
):
    from verifications import invites, review

    george.refresh_from_db()
    assert george.status == "ready"
    review.assign(george, rita, by=rita)
    review.decide(george, reviewer=rita, outcome="request_info", reason_code="identity_document")
    invites.send_invite(applicant=george, sent_by=sam)

    # Smile's monthly sync of the account he had already connected, and a late copy of that
    # account's ACCOUNT_CONNECTED: neither is an answer.
    smile_sandbox.refresh(connected["id"])
    settle(smile_sandbox)
    replay(WebhookEvent.objects.filter(event_type="ACCOUNT_CONNECTED"), run_now=True)
    settle(smile_sandbox)
    george.refresh_from_db()
    assert george.status == "more_info"

    # He connects another account: its data puts him back in the reviewer's queue.
    connect(smile_sandbox, george, provider="upwork")
    settle(smile_sandbox)
    george.refresh_from_db()
    assert george.status == "ready"
    review.decide(george, reviewer=rita, outcome="approve", reason_code="verified")
    george.refresh_from_db()
    assert george.status == "approved"


# --- Data events --------------------------------------------------------------------------------


def test_incomes_added_are_pulled(smile_sandbox, george):
    account, events = connect(smile_sandbox, george, provider="upwork")
    assert "INCOMES_ADDED" in [event["type"] for event in events]
    settle(smile_sandbox)

    incomes = WebhookEvent.objects.get(event_type="INCOMES_ADDED")
    assert incomes.status == "processed"
    run = incomes.sync_runs.get()
    assert (run.kinds, run.status) == (["INCOMES"], "succeeded")
    expected = smile_sandbox.records(account["id"])["incomes"]
    assert run.counts["INCOMES"]["created"] == len(expected) > 0
    assert Income.objects.filter(account__smile_id=account["id"]).count() == len(expected)
    assert_stored_equals_sandbox(smile_sandbox, account["id"])


@pytest.mark.parametrize(
    ("event_type", "provider", "kind", "change", "model", "column", "stored"),
    [
        (
            "EMPLOYMENTS_UPDATED",
            "sss_ph",
            "employments",
            {"jobTitle": "Branch Manager"},
            Employment,
            "job_title",
            "Branch Manager",
        ),
        (
            "CONTRIBUTIONS_UPDATED",
            "sss_ph",
            "contributions",
            {"amount": 1234.5},
            Contribution,
            "amount",
            Decimal("1234.50"),
        ),
        (
            "EINCOMES_UPDATED",
            "sss_ph",
            "eincomes",
            {"amount": 98765.4},
            EstimatedIncome,
            "amount",
            Decimal("98765.40"),
        ),
        (
            "INCOMES_UPDATED",
            "upwork",
            "incomes",
            {"netAmount": 777.0},
            Income,
            "net_amount",
            Decimal("777.00"),
        ),
    ],
)
def test_an_updated_event_pulls_its_kind_again(
    smile_sandbox, george, event_type, provider, kind, change, model, column, stored
):
    account, _ = connect(smile_sandbox, george, provider=provider)
    settle(smile_sandbox)
    count = model.objects.count()

    corrected = smile_changes(smile_sandbox, account["id"], kind, **change)
    base = {"userId": george.smile_user.smile_id, "accountId": account["id"]}
    if event_type == "EMPLOYMENTS_UPDATED":
        details = {"updatedIds": [corrected["id"]]}
    else:
        details = {"count": 1, "updatedFrom": "2024-01-01", "updatedTo": "2024-12-31"}
    sent = smile_sends(smile_sandbox, event_type, **base, providers=[provider], **details)
    settle(smile_sandbox)

    event = WebhookEvent.objects.get(smile_event_id=sent["id"])
    assert event.status == "processed"
    run = event.sync_runs.get()
    assert run.kinds == [kind.upper()]
    assert run.counts[kind.upper()]["updated"] == 1
    assert run.counts[kind.upper()]["created"] == 0
    assert getattr(model.objects.get(smile_id=corrected["id"]), column) == stored
    assert model.objects.count() == count
    assert_stored_equals_sandbox(smile_sandbox, account["id"])


def test_processing_the_same_updated_event_again_changes_nothing(smile_sandbox, george, connected):
    smile_changes(smile_sandbox, connected["id"], "contributions", amount=4321.0)
    sent = smile_sends(
        smile_sandbox,
        "CONTRIBUTIONS_UPDATED",
        userId=george.smile_user.smile_id,
        accountId=connected["id"],
        providers=["sss_ph"],
        count=1,
    )
    settle(smile_sandbox)
    event = WebhookEvent.objects.get(smile_event_id=sent["id"])
    replay([event])
    run_queued_tasks()
    first, second = event.sync_runs.order_by("started_at")
    assert first.counts["CONTRIBUTIONS"]["updated"] == 1
    assert second.counts["CONTRIBUTIONS"]["updated"] == 0
    assert second.counts["CONTRIBUTIONS"]["created"] == 0
    assert_stored_equals_sandbox(smile_sandbox, connected["id"])
