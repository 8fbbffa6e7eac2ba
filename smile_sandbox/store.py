"""Thread-safe in-memory state with optional JSON persistence.

The server answers requests on many threads while the webhook thread reads events, so every
read and write goes through one lock. With a state file every change is written through
(atomically: temporary file, then rename), so even a killed sandbox restarts with its users,
tokens, accounts and records.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STATE_VERSION = 1


class Store:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.RLock()
        self.users: dict[str, dict[str, Any]] = {}
        # accessToken -> {"id", "userId", "expiresAt" (epoch seconds), "mode", and once it
        # opened a widget "launchedAt" (epoch seconds)}
        self.tokens: dict[str, dict[str, Any]] = {}
        # account id -> {"account": Account object, "person": key or None, "loginName": str}
        self.accounts: dict[str, dict[str, Any]] = {}
        # account id -> kind -> records in serving order
        self.records: dict[str, dict[str, list[dict[str, Any]]]] = {}
        if self.path and self.path.exists():
            self._load()

    @contextmanager
    def change(self) -> Iterator[Store]:
        """Hold the lock for a change, then persist it."""
        with self._lock:
            yield self
            self.save()

    @contextmanager
    def read(self) -> Iterator[Store]:
        with self._lock:
            yield self

    def _load(self) -> None:
        assert self.path is not None
        state = json.loads(self.path.read_text())
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"{self.path}: unknown state version {state.get('version')!r}")
        self.users = state["users"]
        self.tokens = state["tokens"]
        self.accounts = state["accounts"]
        self.records = state["records"]

    def save(self) -> None:
        if self.path is None:
            return
        with self._lock:
            state = {
                "version": STATE_VERSION,
                "users": self.users,
                "tokens": self.tokens,
                "accounts": self.accounts,
                "records": self.records,
            }
            text = json.dumps(state, ensure_ascii=False, indent=1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(text)
        os.replace(temporary, self.path)

    # --- Queries (callers get copies: nothing outside the lock shares our dicts) -------------

    def user(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            user = self.users.get(user_id)
            return copy.deepcopy(user) if user else None

    def account(self, account_id: str) -> dict[str, Any] | None:
        with self._lock:
            state = self.accounts.get(account_id)
            return copy.deepcopy(state) if state else None

    def all_users(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self.users.values()))

    def all_accounts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(state["account"]) for state in self.accounts.values()]

    def account_records(self, account_id: str) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return copy.deepcopy(self.records.get(account_id, {}))

    def records_of_kind(self, kind: str, source_id: str | None = None) -> list[dict[str, Any]]:
        """Copies of the records of `kind`, of one account when `source_id` is given."""
        with self._lock:
            if source_id is not None:
                # Only that account's: copying every account's records made a list request
                # take seconds with a thousand accounts connected (bench/README.md).
                return copy.deepcopy(self.records.get(source_id, {}).get(kind, []))
            return copy.deepcopy(
                [record for by_kind in self.records.values() for record in by_kind.get(kind, [])]
            )

    def find_record(self, kind: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            for by_kind in self.records.values():
                for record in by_kind.get(kind, []):
                    if record.get("id") == record_id:
                        return copy.deepcopy(record)
        return None
