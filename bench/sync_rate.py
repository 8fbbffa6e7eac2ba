"""sync_rate: records per second through `verifications.sync.sync_account`, against bulk_create.

The Smile sandbox runs in its own process (python -m smile_sandbox), so its CPU is not counted
against this process's GIL. Setup (not timed): N applicants with Smile users created through the
Open API (`ensure_smile_user`), each connecting George's sss_ph account through the sandbox's
admin endpoint, stored with `refresh_linked_account`. Timed, in chunks of 100 accounts:

1. sync: what the worker's task does per account: load the account, then `sync_account` over
   real HTTP (its own SmileClient, all five kinds, first sync: every record is new).
2. bulk_create: the same rows read back (values as stored), deleted, then written again with
   `Model.objects.bulk_create(batch_size=500)`, one transaction per account as the sync has.

Alternating the two per chunk spreads a noisy neighbour's effect over both.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections import defaultdict
from typing import Any

import requests

from bench import environment, postgres, processes, report
from bench.stats import ratio

DATABASE = "bench_sync"
CHUNK = 100
TARGET_RATIO = 0.3


def connect_accounts(sandbox_url: str, count: int) -> list[int]:
    """Applicants with Smile users and a connected sss_ph account each; their account pks."""
    from verifications.linked_accounts import refresh_linked_account
    from verifications.models import Applicant
    from verifications.smile import SmileClient
    from verifications.smile_users import ensure_smile_user

    applicants = Applicant.objects.bulk_create(
        Applicant(
            first_name="George",
            middle_name="Cimafranca",
            last_name="Palomero",
            suffix="Jr",
            email=f"george{n}@example.com",
            external_reference=f"BENCH-SYNC-{n:05d}",
            status=Applicant.Status.INVITED,
        )
        for n in range(count)
    )
    admin = requests.Session()
    pks = []
    with SmileClient.from_settings() as client:
        for applicant in applicants:
            smile_user = ensure_smile_user(applicant, client=client)
            answer = admin.post(
                f"{sandbox_url}/_sandbox/connect",
                json={
                    "userId": smile_user.smile_id,
                    "providerId": "sss_ph",
                    "login": "george",
                    "password": "123456",
                },
                timeout=30,
            )
            answer.raise_for_status()
            account_id = answer.json()["data"]["account"]["id"]
            account = refresh_linked_account(applicant, account_id, client=client)
            pks.append(account.pk)
    admin.close()
    return pks


def sync_one(account_pk: int) -> int:
    """As `tasks.sync_linked_account` does it; the number of records written."""
    from verifications import sync
    from verifications.models import LinkedAccount, SyncRun

    account = LinkedAccount.objects.select_related("applicant__smile_user").get(pk=account_pk)
    run = sync.sync_account(account, trigger=SyncRun.Trigger.COMMAND)
    return sum(counts["created"] + counts["updated"] for counts in run.counts.values())


def snapshot_and_delete(account_pks: list[int]) -> dict[int, list[tuple[type, dict[str, Any]]]]:
    """The stored rows of these accounts as field values, per account; then delete them."""
    from verifications.sync import MODELS

    rows: dict[int, list[tuple[type, dict[str, Any]]]] = defaultdict(list)
    for model in MODELS.values():
        names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        for values in model.objects.filter(account_id__in=account_pks).values(*names):
            rows[values["account_id"]].append((model, values))
        model.objects.filter(account_id__in=account_pks).delete()
    return rows


def bulk_create(rows: dict[int, list[tuple[type, dict[str, Any]]]]) -> int:
    from django.db import transaction

    written = 0
    for account_rows in rows.values():
        by_model: dict[type, list[dict[str, Any]]] = defaultdict(list)
        for model, values in account_rows:
            by_model[model].append(values)
        with transaction.atomic():
            for model, value_list in by_model.items():
                model.objects.bulk_create([model(**v) for v in value_list], batch_size=500)
                written += len(value_list)
    return written


def run(*, accounts: int = 1000, profile: int = 0) -> dict[str, Any]:
    postgres.prepare(DATABASE)
    # CASCADE empties everything hanging off applicants: users, accounts, records, runs.
    postgres.truncate(DATABASE, ["verifications_applicant", "verifications_webhookevent"])
    try:
        with processes.sandbox(log=environment.LOG_FILE) as sandbox_url:
            environment.setup_django(
                DATABASE,
                SMILE_API_URL=f"{sandbox_url}/v1",
                SMILE_LINK_API_URL=f"{sandbox_url}/link/v1",
            )
            started = time.perf_counter()
            pks = connect_accounts(sandbox_url, accounts)
            setup_s = time.perf_counter() - started
            if profile:
                return _profile(pks[:profile])

            sync_s = bulk_s = sync_cpu_s = 0.0
            synced = bulk_written = 0
            for first in range(0, len(pks), CHUNK):
                chunk = pks[first : first + CHUNK]
                wall, cpu = time.perf_counter(), time.process_time()
                synced += sum(sync_one(pk) for pk in chunk)
                sync_s += time.perf_counter() - wall
                sync_cpu_s += time.process_time() - cpu
                rows = snapshot_and_delete(chunk)
                wall = time.perf_counter()
                bulk_written += bulk_create(rows)
                bulk_s += time.perf_counter() - wall
    finally:
        # The database is reused: leave it empty whatever happened.
        postgres.truncate(DATABASE, ["verifications_applicant", "verifications_webhookevent"])

    sync_rate, bulk_rate = synced / sync_s, bulk_written / bulk_s
    keys = {
        "sync_records_per_s": round(sync_rate, 1),
        "sync_rate_ratio": round(ratio(sync_rate, bulk_rate), 3),
        "sync_bulk_create_records_per_s": round(bulk_rate, 1),
        "sync_accounts": len(pks),
        "sync_records": synced,
        "sync_ms_per_account": round(sync_s / len(pks) * 1000, 2),
        "sync_cpu_share": round(sync_cpu_s / sync_s, 3),
    }
    print(
        report.table(
            f"sync_rate: {len(pks):,} accounts (George on sss_ph, "
            f"{synced / len(pks):.0f} records each), sandbox in its own process, PostgreSQL",
            ["path", "records", "seconds", "records/s", "ms/account"],
            [
                [
                    "sync_account (HTTP + upsert)",
                    synced,
                    sync_s,
                    sync_rate,
                    sync_s / len(pks) * 1000,
                ],
                [
                    "bulk_create (same rows)",
                    bulk_written,
                    bulk_s,
                    bulk_rate,
                    bulk_s / len(pks) * 1000,
                ],
            ],
        )
    )
    print(
        f"setup (applicants, Smile users, connections) {setup_s:.1f} s; this process was on CPU "
        f"{sync_cpu_s / sync_s:.0%} of the sync's wall time"
    )
    print(
        f"sync_rate_ratio {keys['sync_rate_ratio']:.3f} "
        f"{report.verdict(keys['sync_rate_ratio'], TARGET_RATIO, at_most=False)}"
    )
    report.record("sync_rate", keys)
    return keys


def _profile(pks: list[int]) -> dict[str, Any]:
    """cProfile the sync of these accounts; print where the time goes (nothing recorded)."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for pk in pks:
        sync_one(pk)
    profiler.disable()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    print(f"profiled the sync of {len(pks)} accounts: {elapsed:.1f} s (with profiler overhead)")
    print(out.getvalue())
    return {}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench sync_rate")
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile the sync of N accounts"
    )
    args = parser.parse_args(argv)
    run(accounts=args.accounts, profile=args.profile)
