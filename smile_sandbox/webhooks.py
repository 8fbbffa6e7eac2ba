"""Webhook events: building, signing and delivering them, like Smile does.

One queue and one thread deliver events in the order they were published. Each copy of an
event gets up to `attempts` tries (a non-2xx answer or a network error/timeout is tried again
after `retry_delay` seconds). Every try is logged; the last try of a copy is marked `final`.

Signature: header `Smile-Signature` = lowercase hex HMAC-SHA512(secret, exact body bytes).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from smile_sandbox.faults import Faults

USER_AGENT = "SmileSandbox-Webhooks/1.0"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def make_event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "et-" + uuid.uuid4().hex,
        "version": 1,
        "type": event_type,
        "createdAt": utc_now(),
        "data": data,
    }


class WebhookDispatcher:
    def __init__(
        self,
        *,
        url: str | None,
        secret: str | None,
        faults: Faults,
        retry_delay: float = 2.0,
        timeout: float = 10.0,
        attempts: int = 3,
    ) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._url = url or None
        self._secret = secret or None
        self._faults = faults
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.attempts = attempts
        self._queue: queue.Queue[tuple[dict[str, Any], bytes] | None] = queue.Queue()
        self._events: list[dict[str, Any]] = []
        self._log: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- Configuration ---------------------------------------------------------------------

    def configure(self, url: str | None, secret: str | None) -> None:
        with self._lock:
            self._url = url or None
            self._secret = secret or None

    @property
    def url(self) -> str | None:
        with self._lock:
            return self._url

    @property
    def secret(self) -> str | None:
        with self._lock:
            return self._secret

    @property
    def has_secret(self) -> bool:
        with self._lock:
            return self._secret is not None

    # --- Publishing ------------------------------------------------------------------------

    def publish(self, events: list[dict[str, Any]]) -> None:
        """Queue one batch (e.g. one connection's events), applying the webhook faults."""
        batch = list(reversed(events)) if self._faults.reorder_webhooks() else list(events)
        copies = self._faults.duplicate_webhooks()
        with self._lock:
            self._events.extend(copy.deepcopy(events))
        for event in batch:
            # The exact bytes are fixed once: every copy and retry sends the same body.
            body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
            for _ in range(copies):
                self._queue.put((event, body))

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event published, in publication order (before any reordering)."""
        with self._lock:
            return copy.deepcopy(self._events)

    @property
    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._log)

    def wait_for_deliveries(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The log, once `count` event copies are done with (delivered, given up or unsent)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(1 for entry in self._log if entry["final"]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    done = sum(1 for entry in self._log if entry["final"])
                    raise TimeoutError(
                        f"{done} of {count} webhook deliveries finished within {timeout} s"
                    )
                self._changed.wait(remaining)
            return copy.deepcopy(self._log)

    # --- Delivery --------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="smile-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._stopping.is_set():
                return
            event, body = item
            try:
                self._deliver(event, body)
            except Exception as error:  # the delivery thread must outlive any one event
                print(f"smile-sandbox: webhook {event['id']} failed: {error!r}", file=sys.stderr)

    def _record(self, event: dict[str, Any], attempt: int, **outcome: Any) -> None:
        entry = {
            "eventId": event["id"],
            "type": event["type"],
            "attempt": attempt,
            "url": outcome.pop("url"),
            "status": outcome.pop("status", None),
            "error": outcome.pop("error", None),
            "ok": outcome.pop("ok", False),
            "final": outcome.pop("final"),
            "at": utc_now(),
        }
        with self._changed:
            self._log.append(entry)
            self._changed.notify_all()

    def _deliver(self, event: dict[str, Any], body: bytes) -> None:
        for attempt in range(1, self.attempts + 1):
            with self._lock:
                url, secret = self._url, self._secret
            if url is None:
                self._record(event, 0, url=None, error="no webhook URL configured", final=True)
                return
            status, error = self._post(url, secret, body)
            ok = status is not None and 200 <= status < 300
            last = ok or attempt == self.attempts
            self._record(event, attempt, url=url, status=status, error=error, ok=ok, final=last)
            if last:
                return
            if self._stopping.wait(self.retry_delay):
                return

    def _post(self, url: str, secret: str | None, body: bytes) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if secret is not None:
            headers["Smile-Signature"] = sign(secret, body)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
                return response.status, None
        except urllib.error.HTTPError as error:
            error.read()
            return error.code, None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            return None, f"{type(error).__name__}: {reason}"
