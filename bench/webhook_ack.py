"""webhook_ack: how fast the portal acknowledges Smile's webhooks, against a bare Django view.

gunicorn (sync workers) + PostgreSQL + Redis (cache for the rate limit, django-q2 broker) on
database bench_portal. A separate process (bench.loadgen) sends signed EMPLOYMENTS_ADDED
events to /webhooks/smile/ and the same bodies to /bench/bare/ at a fixed rate, open loop, in
alternating blocks (bare, webhook, bare, webhook) so drift on a shared machine hits both.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import redis

from bench import environment, postgres, processes, report
from bench.stats import percentile, ratio

DATABASE = "bench_portal"
WEBHOOK_PATH = "/webhooks/smile/"
BARE_PATH = "/bench/bare/"
# Smile sends every webhook from one address (smile-api.md), and signed events are never
# throttled (only refused ones are), so one source address is what production sees.
SOURCES = 1
# Three sync workers on this 2-core machine: with two, a neighbour's CPU burst saturated them
# (p99 0.25 s and 1.9 s in two runs of four); four only added contention with PostgreSQL and
# Redis for the same two cores (bench/README.md).
WORKERS = 3
TARGET_RATIO = 1.5
TARGET_P99_MS = 50.0


def plan(port: int, *, rate: float, seconds: float, sources: int) -> dict[str, Any]:
    """Warm-up, then ABBA blocks (bare, webhook, webhook, bare, ...): a drift cancels out."""
    block = seconds / 4
    phases = [
        {"name": "warmup-bare", "kind": "bare", "rate": rate / 4, "seconds": 2},
        {"name": "warmup-webhook", "kind": "webhook", "rate": rate / 4, "seconds": 2},
    ]
    for kind in ("bare", "webhook", "webhook", "bare", "bare", "webhook", "webhook", "bare"):
        phases.append({"name": kind, "kind": kind, "rate": rate, "seconds": block})
    return {
        "host": "127.0.0.1",
        "port": port,
        "secret": environment.WEBHOOK_SECRET,
        "sources": sources,
        "webhook_path": WEBHOOK_PATH,
        "bare_path": BARE_PATH,
        "phases": phases,
    }


def summarize(results: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    mine = [r for r in results if r["phase"] == kind]
    ok = [r for r in mine if 200 <= r["status"] < 300]
    latencies = [r["latency_ms"] for r in mine]
    return {
        "requests": len(mine),
        "ok": len(ok),
        "status_429": sum(r["status"] == 429 for r in mine),
        "failed": len(mine) - len(ok),
        "p50": percentile(latencies, 50),
        "p90": percentile(latencies, 90),
        "p99": percentile(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "lag_p99": percentile([r["lag_ms"] for r in mine], 99),
    }


def load(
    env: dict[str, str], *, rate: float, seconds: float, sources: int, workers: int
) -> list[dict[str, Any]]:
    """Start gunicorn, run the load generator against it; one result per request."""
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as scratch:
        folder = Path(scratch)
        with processes.gunicorn(env, workers=workers, log=environment.LOG_FILE) as base_url:
            port = int(base_url.rsplit(":", 1)[1])
            (folder / "plan.json").write_text(
                json.dumps(plan(port, rate=rate, seconds=seconds, sources=sources))
            )
            subprocess.run(
                [
                    environment.PYTHON,
                    "-m",
                    "bench.loadgen",
                    str(folder / "plan.json"),
                    str(folder / "results.json"),
                ],
                cwd=environment.ROOT,
                check=True,
                timeout=seconds * 4 + 120,
            )
            return json.loads((folder / "results.json").read_text())


def run(
    *, workers: int = WORKERS, rate: float = 200, seconds: float = 20, sources: int = SOURCES
) -> dict[str, Any]:
    postgres.prepare(DATABASE)
    postgres.truncate(DATABASE, ["verifications_webhookevent", "verifications_webhookrejection"])
    cache = redis.from_url(environment.REDIS_URL)
    cache.flushdb()  # a fresh rate-limit window and an empty task queue
    env = environment.portal_env(
        DATABASE, REDIS_URL=environment.REDIS_URL, ALLOWED_HOSTS="127.0.0.1"
    )
    try:
        results = load(env, rate=rate, seconds=seconds, sources=sources, workers=workers)
        with psycopg.connect(environment.database_url(DATABASE)) as conn:
            stored = conn.execute("SELECT count(*) FROM verifications_webhookevent").fetchone()[0]
        queued = cache.llen("django_q:verification_portal:q")
    finally:
        # Nothing left behind, whatever happened: the database is reused, db 7 is ours.
        cache.flushdb()
        postgres.truncate(
            DATABASE, ["verifications_webhookevent", "verifications_webhookrejection"]
        )

    bare, webhook = summarize(results, "bare"), summarize(results, "webhook")
    keys = {
        "webhook_ack_p50_ms": round(webhook["p50"], 2),
        "webhook_ack_p99_ms": round(webhook["p99"], 2),
        "webhook_ack_p50_ratio": round(ratio(webhook["p50"], bare["p50"]), 2),
        "webhook_ack_bare_p50_ms": round(bare["p50"], 2),
        "webhook_ack_bare_p99_ms": round(bare["p99"], 2),
        "webhook_ack_rate_per_s": rate,
        "webhook_ack_seconds": seconds,
        "webhook_ack_workers": workers,
        "webhook_ack_failed": webhook["failed"] + bare["failed"],
    }
    header = ["view", "requests", "2xx", "429", "failed", "p50 ms", "p90 ms", "p99 ms", "max ms"]
    columns = ("requests", "ok", "status_429", "failed", "p50", "p90", "p99", "max")
    rows = [
        [name, *(s[column] for column in columns)]
        for name, s in (("bare /bench/bare/", bare), ("webhook /webhooks/smile/", webhook))
    ]
    print(
        report.table(
            f"webhook_ack: {rate:g}/s open loop for {seconds:g} s per view, gunicorn {workers} "
            f"sync workers, PostgreSQL + Redis, {sources} source IPs",
            header,
            rows,
        )
    )
    lag = max(bare["lag_p99"], webhook["lag_p99"])
    print(f"generator send lag p99 {lag:.2f} ms (latency counts from the scheduled send time)")
    # The warm-up's webhooks are stored too, so at least as many rows as measured 2xx answers,
    # and one queued task for each row (no worker runs).
    intact = stored >= webhook["ok"] and queued == stored
    print(
        f"webhook events stored {stored:,}, tasks enqueued in Redis {queued:,} "
        f"({'each acknowledged webhook stored and queued' if intact else 'MISMATCH'})"
    )
    print(
        f"webhook_ack_p50_ratio {keys['webhook_ack_p50_ratio']:.2f} "
        f"{report.verdict(keys['webhook_ack_p50_ratio'], TARGET_RATIO, at_most=True)}; "
        f"webhook_ack_p99_ms {keys['webhook_ack_p99_ms']:.1f} "
        f"{report.verdict(keys['webhook_ack_p99_ms'], TARGET_P99_MS, at_most=True)}"
    )
    report.record("webhook_ack", keys)
    return keys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench webhook_ack")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn sync workers")
    parser.add_argument("--rate", type=float, default=200, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20, help="seconds per view")
    parser.add_argument(
        "--sources",
        type=int,
        default=SOURCES,
        help="loopback source addresses 127.0.0.2… the requests rotate over",
    )
    args = parser.parse_args(argv)
    run(workers=args.workers, rate=args.rate, seconds=args.seconds, sources=args.sources)
