"""Whatever fails a sync leaves a failed SyncRun saying why, and stored data as it was."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection

from tests import factories
from tests.crafted_smile import CraftedSmile, crafted_smile, page
from verifications.linked_accounts import refresh_linked_account
from verifications.models import Contribution, LinkedAccount, SyncRun
from verifications.smile import SmileClient
from verifications.smile_records import Kind
from verifications.smile_users import ensure_smile_user
from verifications.sync import MODELS, SyncFailed, sync_account

pytestmark = pytest.mark.django_db

DISK_FULL = "could not extend file: No space left on device"


@pytest.fixture
def account(smile_sandbox) -> LinkedAccount:
    """George with his social-security account connected and known to the portal, not synced."""
    george = factories.applicant()
    smile_user = ensure_smile_user(george)
    remote = smile_sandbox.connect(smile_user.smile_id, "sss_ph", "george", "123456")
    with SmileClient.from_settings() as client:
        return refresh_linked_account(george, remote["id"], client=client)


@pytest.fixture
def disk_full() -> Callable[[], None]:
    """The database refuses to store a contribution, as a full disk would: a real database
    error raised by a trigger (undone with the test's transaction), not a stand-in of ours.
    Calling the fixture's value frees the disk again."""
    table = MODELS[Kind.CONTRIBUTIONS]._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_contribution() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{DISK_FULL}' USING ERRCODE = 'disk_full'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER disk_full BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_contribution()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER disk_full BEFORE INSERT ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{DISK_FULL}'); END"
            )

    def free() -> None:
        on_table = f" ON {table}" if connection.vendor == "postgresql" else ""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER disk_full{on_table}")

    return free


def stored(account: LinkedAccount) -> dict[Kind, list[dict]]:
    return {
        kind: list(model.objects.filter(account=account).order_by("pk").values())
        for kind, model in MODELS.items()
    }


def test_a_database_that_refuses_a_write_fails_the_run_and_stores_nothing(
    account, disk_full, smile_sandbox
):
    # Identities and employments are written before contributions, in the same transaction.
    with pytest.raises(DatabaseError) as raised:
        sync_account(account)

    run = SyncRun.objects.get(account=account)
    assert run.status == SyncRun.Status.FAILED
    assert run.finished_at is not None
    assert run.error == f"{type(raised.value).__name__}: {raised.value}"
    assert DISK_FULL in run.error
    assert stored(account) == {kind: [] for kind in MODELS}
    account.refresh_from_db()
    assert account.last_synced_at is None

    # Once the database has room again, the same sync stores every record Smile holds.
    disk_full()
    assert sync_account(account).status == SyncRun.Status.SUCCEEDED
    expected = smile_sandbox.records(account.smile_id)
    assert {kind: len(rows) for kind, rows in stored(account).items()} == {
        kind: len(expected.get(kind.value.lower(), [])) for kind in MODELS
    }


@pytest.fixture
def crafted() -> Iterator[CraftedSmile]:
    with crafted_smile() as server:
        yield server


def contribution(account: LinkedAccount, number: int, amount) -> dict:
    return {
        "id": f"con-{number:032x}",
        "date": "2024-01-31",
        "currency": "PHP",
        "amount": amount,
        "referenceId": None,
        "metadata": {
            "createdAt": "2024-02-01T00:00:00Z",
            "sourceId": account.smile_id,
            "sourceType": "ACCOUNT",
            "userId": account.applicant.smile_user.smile_id,
            "providerId": "sss_ph",
        },
    }


@pytest.mark.parametrize("amount", [10**20, 10**30], ids=["1e20", "1e30"])
def test_an_amount_no_column_can_hold_fails_the_sync_readably_and_changes_nothing(crafted, amount):
    person = factories.applicant()
    factories.smile_user(person)
    account = factories.linked_account(person)
    kept = factories.contribution(account, datetime.date(2023, 12, 31))
    before = stored(account)
    crafted.script(page([contribution(account, 1, 1375), contribution(account, 2, amount)]))

    with (
        SmileClient(base_url=crafted.url, client_id="i", client_secret="s") as client,
        pytest.raises(SyncFailed) as failure,
    ):
        sync_account(account, kinds=[Kind.CONTRIBUTIONS], client=client)

    run = failure.value.run
    assert run.status == SyncRun.Status.FAILED and failure.value.permanent
    assert f"contributions record con-{2:032x}" in run.error
    assert "too large" in run.error and "requestId req-crafted-1" in run.error
    assert stored(account) == before
    # What is stored still reads: nothing broke the table.
    assert [c.amount for c in account.contributions.all()] == [kept.amount]


def test_a_record_id_repeated_across_pages_is_stored_once_the_later_copy_winning(crafted, caplog):
    person = factories.applicant()
    factories.smile_user(person)
    account = factories.linked_account(person)
    crafted.script(
        page([contribution(account, 1, 1000), contribution(account, 2, 1375)], "next"),
        page([contribution(account, 1, 1100)]),
    )

    with SmileClient(base_url=crafted.url, client_id="i", client_secret="s") as client:
        run = sync_account(account, kinds=[Kind.CONTRIBUTIONS], client=client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counts["CONTRIBUTIONS"] == {"created": 2, "updated": 0, "unchanged": 0}
    amounts = dict(Contribution.objects.filter(account=account).values_list("smile_id", "amount"))
    assert amounts == {f"con-{1:032x}": Decimal("1100.00"), f"con-{2:032x}": Decimal("1375.00")}
    assert f"contributions record con-{1:032x} returned twice; keeping the later copy" in (
        caplog.text
    )
