"""The sandbox's state and behaviour, independent of HTTP: users, tokens, accounts, events."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from smile_sandbox.faults import Faults
from smile_sandbox.providers import PROVIDERS
from smile_sandbox.store import Store
from smile_sandbox.web import ApiError
from smile_sandbox.webhooks import WebhookDispatcher, make_event, utc_now

DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - a published dev default
DEFAULT_TOKEN_TTL = 5 * 60 * 60  # Smile's user tokens live 5 h
MAX_METADATA_PAIRS = 5
MAX_METADATA_KEY = 50
MAX_METADATA_VALUE = 500


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8765
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    webhook_url: str | None = None
    webhook_secret: str | None = None
    state_file: str | os.PathLike[str] | None = None
    faults: dict[str, Any] = field(default_factory=dict)
    token_ttl: float = DEFAULT_TOKEN_TTL
    webhook_retry_delay: float = 2.0
    webhook_timeout: float = 10.0
    today: date | None = None  # the "today" records are generated for; None: the real date
    tenant: str = "sandbox"
    log_requests: bool = True


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Sandbox:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.state_file)
        self.faults = Faults(config.faults)
        self.webhooks = WebhookDispatcher(
            url=config.webhook_url,
            secret=config.webhook_secret,
            faults=self.faults,
            retry_delay=config.webhook_retry_delay,
            timeout=config.webhook_timeout,
        )

    def start(self) -> None:
        self.webhooks.start()

    def stop(self) -> None:
        self.webhooks.stop()
        self.store.save()

    def today(self) -> date:
        return self.config.today or datetime.now(UTC).date()

    # --- Users and tokens ------------------------------------------------------------------

    def create_user(self, external_metadata: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        metadata = validate_external_metadata(external_metadata)
        user_id = f"{self.config.tenant}-{uuid.uuid4().hex}"
        user = {
            "id": user_id,
            "externalMetadata": metadata,
            "createdAt": utc_now(),
            "providers": [],
            "session": {"userId": user_id, "channel": "Default", "status": "IN_PROGRESS"},
        }
        with self.store.change() as store:
            store.users[user_id] = user
        token = self.issue_token(user_id)
        self.webhooks.publish([make_event("USER_CREATED", {"userId": user_id})])
        return dict(user), token

    def issue_token(self, user_id: str) -> dict[str, Any]:
        if self.store.user(user_id) is None:
            raise ApiError(404, f"User {user_id} does not exist.")
        expires = time.time() + self.config.token_ttl
        token = {
            "id": "tk-" + uuid.uuid4().hex,
            "expiresAt": iso(expires),
            "mode": "SANDBOX",
            "accessToken": secrets.token_urlsafe(32),
        }
        with self.store.change() as store:
            store.tokens[token["accessToken"]] = {
                "id": token["id"],
                "userId": user_id,
                "expiresAt": expires,
                "mode": "SANDBOX",
            }
        return token

    def token_user(self, access_token: str) -> tuple[str, dict[str, Any]]:
        """(user id, token) for a live user token, else 401 INVALID_TOKEN."""
        with self.store.read() as store:
            token = store.tokens.get(access_token)
            token = dict(token) if token else None
        return _live(token)

    def launch_widget(self, access_token: str) -> tuple[str, dict[str, Any]]:
        """Like token_user, for the call that opens a widget: a token opens one widget only.

        smile-api.md: user tokens are single use, mint a fresh one per widget launch. The
        later calls of the same widget session (login, code, revoke) keep working with it
        until it expires; a second launch gets the 401 an expired token gets, so the host
        page's onTokenExpired mints a new one, as it must with Smile.
        """
        with self.store.change() as store:
            stored = store.tokens.get(access_token)
            user_id, token = _live(dict(stored) if stored else None)
            if token.get("launchedAt") is not None:
                raise ApiError(
                    401, "The user token has already opened the widget: create a new one."
                )
            stored["launchedAt"] = time.time()
        return user_id, token

    def expire_tokens(self) -> int:
        now = time.time()
        with self.store.change() as store:
            for token in store.tokens.values():
                token["expiresAt"] = min(token["expiresAt"], now)
            return len(store.tokens)

    # --- Accounts --------------------------------------------------------------------------

    def set_status(
        self,
        account: dict[str, Any],
        status: str,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Move an account to a connection status (caller holds the store lock)."""
        now = utc_now()
        account["connectionStatus"] = status
        account["connection"] = {
            "status": status,
            "errorCode": error_code,
            "errorMessage": error_message,
            "updatedAt": now,
        }
        monitor = monitor_status(account["providerId"], status)
        account["monitorStatus"] = monitor
        account["monitor"] = {"status": monitor, "updatedAt": now}

    def new_account(self, user_id: str, provider_id: str) -> dict[str, Any]:
        account: dict[str, Any] = {
            "id": "a-" + uuid.uuid4().hex,
            "createdAt": utc_now(),
            "providerId": provider_id,
            "userId": user_id,
        }
        self.set_status(account, "PENDING")
        return account

    def sync_user_providers(self, user_id: str) -> None:
        """The (deprecated) `providers` of a user: the providers of its connected accounts."""
        with self.store.change() as store:
            user = store.users.get(user_id)
            if user is None:
                return
            connected = sorted(
                {
                    state["account"]["providerId"]
                    for state in store.accounts.values()
                    if state["account"]["userId"] == user_id
                    and state["account"]["connectionStatus"] == "CONNECTED"
                }
            )
            user["providers"] = connected
            if connected:
                user["session"]["status"] = "COMPLETED"


def _live(token: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    if token is None:
        raise ApiError(401, "The user token is unknown.")
    if token["expiresAt"] <= time.time():
        raise ApiError(401, "The user token has expired: create a new one.")
    return token["userId"], token


def monitor_status(provider_id: str, connection_status: str) -> str:
    if not PROVIDERS[provider_id]["monitorSupported"]:
        return "UNSUPPORTED"
    return "USER_ACTION_REQUIRED" if connection_status == "ERROR" else "ACTIVE"


def validate_external_metadata(value: Any) -> dict[str, str]:
    """Smile's limits: at most 5 pairs, ASCII string values, keys <= 50 and values <= 500."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "externalMetadata must be an object of string pairs.")
    if len(value) > MAX_METADATA_PAIRS:
        raise ApiError(400, f"externalMetadata holds at most {MAX_METADATA_PAIRS} pairs.")
    for key, item in value.items():
        if not isinstance(item, str):
            raise ApiError(400, f"externalMetadata.{key} must be a string.")
        if not key or not key.isascii() or len(key) > MAX_METADATA_KEY:
            raise ApiError(
                400, f"externalMetadata keys must be 1-{MAX_METADATA_KEY} ASCII characters."
            )
        if not item.isascii() or len(item) > MAX_METADATA_VALUE:
            raise ApiError(
                400,
                f"externalMetadata.{key} must be at most {MAX_METADATA_VALUE} ASCII characters.",
            )
    return dict(value)
