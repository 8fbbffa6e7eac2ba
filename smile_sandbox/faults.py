"""Fault modes: rate limits, server errors, slowness, malformed records, webhook disorder.

Counted faults fire on the next N Open API (/v1) calls and then stop; nothing is random, so a
test that sets `errors: {count: 2}` knows exactly which two calls fail. Set them with
`--faults JSON`, `SMILE_SANDBOX_FAULTS`, or `POST /_sandbox/faults` at run time:

    {"rate_limit": {"count": 2, "retry_after": 1},      # 429 REQUEST_LIMIT_EXCEEDED + Retry-After
                                                         # (whole seconds, a fraction rounded up)
     "errors": {"count": 1, "status": 503},              # 500, 503 or 504
     "slow": {"seconds": 2.5, "count": 3},               # count omitted: every call until cleared
     "malformed": {"kind": "contributions", "count": 1, "field": "amount"},
     "duplicate_webhooks": 2,                            # every webhook sent twice
     "reorder_webhooks": true}                           # each connection's events reversed

The order on one call: slow (delay), then rate_limit, then errors. A malformed fault spoils the
first record of the next `count` list pages of that kind; `field` is `amount` ("abc"), `date`
("2021-13-45") or `id` (missing), default the kind's natural one.
"""

from __future__ import annotations

import copy
import math
import threading
from typing import Any

from smile_sandbox.providers import KINDS
from smile_sandbox.web import ApiError

ERROR_STATUSES = (500, 503, 504)
MALFORMED_FIELDS = ("amount", "date", "id")
_DEFAULT_MALFORMED = {
    "identities": "id",
    "employments": "date",
    "contributions": "amount",
    "incomes": "amount",
    "eincomes": "amount",
}


class FaultError(ValueError):
    """A fault specification that makes no sense."""


def _count(value: Any, name: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FaultError(f"{name} must be a positive integer, not {value!r}.")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FaultError(f"{name} must be a number of seconds >= 0, not {value!r}.")
    return float(value)


def _whole_seconds(seconds: float) -> int:
    """Retry-After carries whole seconds (RFC 9110): round a fraction up, so 0.5 asks for 1.

    Rounding down would turn "wait a little" into "retry at once" (0); an explicit 0 stays 0.
    """
    return math.ceil(seconds)


def validate(spec: Any) -> dict[str, Any]:
    """A clean copy of a fault specification, or FaultError saying what is wrong."""
    if not isinstance(spec, dict):
        raise FaultError("Faults must be a JSON object.")
    clean: dict[str, Any] = {}
    for name, value in spec.items():
        if name == "rate_limit":
            value = value or {}
            clean[name] = {
                "count": _count(value.get("count", 1), "rate_limit.count"),
                "retry_after": _whole_seconds(
                    _number(value.get("retry_after", 1), "rate_limit.retry_after")
                ),
            }
        elif name == "errors":
            value = value or {}
            status = value.get("status", 500)
            if status not in ERROR_STATUSES:
                raise FaultError(f"errors.status must be one of {ERROR_STATUSES}, not {status!r}.")
            clean[name] = {"count": _count(value.get("count", 1), "errors.count"), "status": status}
        elif name == "slow":
            value = value or {}
            clean[name] = {
                "seconds": _number(value.get("seconds", 1), "slow.seconds"),
                "count": _count(value.get("count"), "slow.count", optional=True),
            }
        elif name == "malformed":
            value = value or {}
            kind = value.get("kind")
            if kind not in KINDS:
                raise FaultError(f"malformed.kind must be one of {KINDS}, not {kind!r}.")
            field = value.get("field", _DEFAULT_MALFORMED[kind])
            if field not in MALFORMED_FIELDS:
                raise FaultError(f"malformed.field must be one of {MALFORMED_FIELDS}.")
            clean[name] = {
                "kind": kind,
                "count": _count(value.get("count", 1), "malformed.count"),
                "field": field,
            }
        elif name == "duplicate_webhooks":
            clean[name] = _count(value, "duplicate_webhooks")
        elif name == "reorder_webhooks":
            if not isinstance(value, bool):
                raise FaultError("reorder_webhooks must be true or false.")
            clean[name] = value
        else:
            raise FaultError(f"Unknown fault {name!r}.")
    return clean


class Faults:
    def __init__(self, initial: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._active: dict[str, Any] = validate(initial) if initial else {}

    def set(self, spec: Any) -> dict[str, Any]:
        """Add or replace the named faults; the others stay as they are."""
        clean = validate(spec)
        with self._lock:
            self._active.update(clean)
            return copy.deepcopy(self._active)

    def clear(self) -> None:
        with self._lock:
            self._active.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._active)

    def _take(self, name: str) -> dict[str, Any] | None:
        """The fault if it fires on this call, counting it down (caller holds the lock)."""
        fault = self._active.get(name)
        if fault is None:
            return None
        if fault.get("count") is not None:
            fault["count"] -= 1
            if fault["count"] <= 0:
                del self._active[name]
        return fault

    def on_api_call(self) -> tuple[float, ApiError | None]:
        """(seconds to wait, error to answer instead) for one /v1 call."""
        with self._lock:
            slow = self._take("slow")
            delay = slow["seconds"] if slow else 0.0
            limited = self._take("rate_limit")
            if limited:
                retry_after = str(limited["retry_after"])
                return delay, ApiError(
                    429,
                    "Too many requests: slow down and retry after the Retry-After delay.",
                    headers={"Retry-After": retry_after},
                )
            failing = self._take("errors")
            if failing:
                messages = {
                    500: "The server hit an unexpected error (sandbox fault).",
                    503: "The service is unavailable (sandbox fault).",
                    504: "The request took too long (sandbox fault).",
                }
                return delay, ApiError(failing["status"], messages[failing["status"]])
            return delay, None

    def malformed_field(self, kind: str) -> str | None:
        """Which field to spoil on this page of `kind`, or None for a clean page."""
        with self._lock:
            fault = self._active.get("malformed")
            if not fault or fault["kind"] != kind:
                return None
            self._take("malformed")
            return fault["field"]

    def duplicate_webhooks(self) -> int:
        with self._lock:
            return int(self._active.get("duplicate_webhooks", 1))

    def reorder_webhooks(self) -> bool:
        with self._lock:
            return bool(self._active.get("reorder_webhooks", False))


def spoil(record: dict[str, Any], field: str) -> dict[str, Any]:
    """A copy of the record with one malformed value, as a buggy upstream might send."""
    spoiled = copy.deepcopy(record)
    if field == "id":
        spoiled.pop("id", None)
    elif field == "date":
        for name in ("date", "startDate", "dob"):
            if name in spoiled:
                spoiled[name] = "2021-13-45"
                break
        else:
            spoiled["month"] = "2021-13"
    else:
        for name in ("amount", "grossAmount"):
            if name in spoiled:
                spoiled[name] = "abc"
                break
        else:
            spoiled.pop("id", None)
    return spoiled
