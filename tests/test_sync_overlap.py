"""Two syncs of one account that overlap: the later one's copy is never overwritten."""

from __future__ import annotations

import http.server
import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from tests import factories
from verifications.models import Contribution, SyncRun
from verifications.smile import SmileClient
from verifications.smile_records import Kind
from verifications.sync import sync_account

pytestmark = pytest.mark.django_db(transaction=True)


class SlowIncomesSmile:
    """One contribution whose amount a test can change, and an /incomes that waits."""

    def __init__(self, account) -> None:
        self.amount, self.incomes_calls, self.release = 100, 0, threading.Event()
        smile = self
        metadata = {
            "createdAt": "2024-02-01T00:00:00Z",
            "sourceId": account.smile_id,
            "sourceType": "ACCOUNT",
            "userId": account.applicant.smile_user.smile_id,
            "providerId": "sss_ph",
        }

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                items = []
                if self.path.startswith("/v1/incomes"):
                    smile.incomes_calls += 1
                    smile.release.wait(10)
                else:
                    items = [
                        {
                            "id": "con-" + "1" * 32,
                            "date": "2024-01-31",
                            "currency": "PHP",
                            "amount": smile.amount,
                            "referenceId": None,
                            "metadata": metadata,
                        }
                    ]
                body = json.dumps(
                    {"code": "OK", "message": "Success", "requestId": "r", "data": {"items": items}}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def client(self) -> SmileClient:
        return SmileClient(base_url=self.url, client_id="i", client_secret="s")


def test_an_earlier_sync_committing_last_keeps_the_later_syncs_correction():
    person = factories.applicant()
    factories.smile_user(person)
    account = factories.linked_account(person)
    smile = SlowIncomesSmile(account)

    def task_finished_sync() -> None:  # contributions (amount 100), then a slow /incomes
        try:
            with smile.client() as client:
                sync_account(account, kinds=[Kind.CONTRIBUTIONS, Kind.INCOMES], client=client)
        finally:
            connection.close()

    first = threading.Thread(target=task_finished_sync)
    first.start()
    deadline = time.monotonic() + 10
    while smile.incomes_calls == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Smile corrects the amount; CONTRIBUTIONS_UPDATED's sync fetches and commits it.
    smile.amount = 200
    with smile.client() as client:
        sync_account(account, kinds=[Kind.CONTRIBUTIONS], client=client)
    smile.release.set()
    first.join()
    smile.server.shutdown()

    assert Contribution.objects.get().amount == Decimal("200.00")
    earlier = SyncRun.objects.filter(account=account).order_by("started_at").first()
    assert earlier.status == "succeeded"
    assert earlier.counts["CONTRIBUTIONS"]["superseded"] == 1
    assert earlier.counts["INCOMES"] == {"created": 0, "updated": 0, "unchanged": 0}
