"""`python -m bench.loadgen PLAN.json RESULT.json`: an open-loop HTTP load generator.

Requests go out on a fixed schedule (request i of a phase at start + i / rate) whether or not
earlier ones have returned, each on its own connection (gunicorn's sync workers close every
connection after one response). Latency is measured from the *scheduled* send time, so a
stalled server or a late generator shows up as latency instead of silently thinning the load
(coordinated omission). The send lag (actual minus scheduled start) is reported separately so
a generator that could not keep up is visible.

Webhook bodies are built and signed before the clock starts: EMPLOYMENTS_ADDED events with
unique ids for Smile users the portal does not know (stored and enqueued, never matched).
With `sources` > 1, source addresses rotate over 127.0.0.2.. (all loopback on Linux): only
to compare with older code, which rate-limited every webhook per address. By default one
address is used, as Smile sends every webhook from one; signed events are not rate-limited.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Planned:
    phase: str
    offset: float  # seconds after the phase starts
    source: str
    payload: bytes


def webhook_body() -> bytes:
    created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "id": "et-" + uuid.uuid4().hex,
        "version": 1,
        "type": "EMPLOYMENTS_ADDED",
        "createdAt": created,
        "data": {
            "userId": "sandbox-" + uuid.uuid4().hex,
            "accountId": "a-" + uuid.uuid4().hex,
            "providers": ["sss_ph"],
            "count": 6,
        },
    }
    return json.dumps(event, separators=(",", ":")).encode()


def http_post(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "User-Agent: bench-loadgen",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def build(plan: dict[str, Any]) -> list[list[Planned]]:
    """Every request of every phase, signed and serialized, in schedule order."""
    host = f"{plan['host']}:{plan['port']}"
    secret = plan["secret"].encode()
    sources = [f"127.0.0.{2 + n}" for n in range(plan["sources"])]
    phases = []
    sent = 0
    for phase in plan["phases"]:
        count = round(phase["rate"] * phase["seconds"])
        requests = []
        for i in range(count):
            body = webhook_body()
            if phase["kind"] == "webhook":
                signature = hmac.new(secret, body, hashlib.sha512).hexdigest()
                payload = http_post(
                    host, plan["webhook_path"], body, {"Smile-Signature": signature}
                )
            else:
                payload = http_post(host, plan["bare_path"], body, {})
            source = sources[sent % len(sources)]
            sent += 1
            requests.append(Planned(phase["name"], i / phase["rate"], source, payload))
        phases.append(requests)
    return phases


async def send(plan: dict[str, Any], request: Planned, scheduled: float) -> dict[str, Any]:
    started = time.perf_counter()
    status, error = 0, ""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(plan["host"], plan["port"], local_addr=(request.source, 0)),
            TIMEOUT_S,
        )
        writer.write(request.payload)
        response = await asyncio.wait_for(reader.read(), TIMEOUT_S)  # until the server closes
        writer.close()
        status = int(response[9:12]) if response.startswith(b"HTTP/") else 0
    except (OSError, TimeoutError, ValueError) as problem:
        error = type(problem).__name__
    done = time.perf_counter()
    return {
        "phase": request.phase,
        "latency_ms": (done - scheduled) * 1000,
        "service_ms": (done - started) * 1000,
        "lag_ms": (started - scheduled) * 1000,
        "status": status,
        "error": error,
    }


async def run(plan: dict[str, Any], phases: list[list[Planned]]) -> list[dict[str, Any]]:
    pending = []
    for requests in phases:
        start = time.perf_counter() + 0.05
        for request in requests:
            scheduled = start + request.offset
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(send(plan, request, scheduled)))
        # The next phase starts on its own schedule once this one is sent (not answered):
        # phases abut, so the server never idles between them.
    return list(await asyncio.gather(*pending))


def main(argv: list[str]) -> int:
    plan_file, result_file = Path(argv[0]), Path(argv[1])
    plan = json.loads(plan_file.read_text())
    phases = build(plan)
    results = asyncio.run(run(plan, phases))
    result_file.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
