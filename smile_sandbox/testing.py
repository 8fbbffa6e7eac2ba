"""Start a sandbox in a thread for tests.

with start_sandbox(webhook_url=receiver, webhook_secret="s") as sandbox:
    client = SmileClient(sandbox.api_url, "sandbox-client-id", "sandbox-client-secret")
    ...
    account = sandbox.connect(user_id, "sss_ph", "george", "123456")
    sandbox.wait_for_deliveries(9)
"""

from __future__ import annotations

import copy
import os
from datetime import date
from types import TracebackType
from typing import Any

from smile_sandbox import connect as connect_flow
from smile_sandbox.open_api import SORT_KEYS
from smile_sandbox.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Config
from smile_sandbox.server import SandboxServer


class RunningSandbox:
    """A sandbox serving on a loopback port; its state is reachable without HTTP too."""

    def __init__(self, server: SandboxServer) -> None:
        self._server = server
        self.sandbox = server.sandbox
        self.base_url = server.base_url
        self.api_url = self.base_url + "/v1"
        self.link_api_url = self.base_url + "/link/v1"
        self.script_url = self.base_url + "/v2/smile.v2.js"
        self.client_id = self.sandbox.config.client_id
        self.client_secret = self.sandbox.config.client_secret

    # --- Faults ----------------------------------------------------------------------------

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """E.g. `set_faults(rate_limit={"count": 2, "retry_after": 1})`; returns all active."""
        return self.sandbox.faults.set(faults)

    def clear_faults(self) -> None:
        self.sandbox.faults.clear()

    @property
    def faults(self) -> dict[str, Any]:
        return self.sandbox.faults.snapshot()

    # --- Accounts --------------------------------------------------------------------------

    def create_user(self, external_metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """A Smile user (without HTTP); the portal normally does this through POST /v1/users."""
        user, _token = self.sandbox.create_user(external_metadata or {})
        return user

    def issue_token(self, user_id: str) -> dict[str, Any]:
        """A fresh user token (the Token object: id, expiresAt, mode, accessToken)."""
        return self.sandbox.issue_token(user_id)

    def connect(
        self, user_id: str, provider_id: str, login: str, password: str, code: str = "1234"
    ) -> dict[str, Any]:
        """The widget's flow server-side; returns the Account (CONNECTED, or ERROR)."""
        account, _created = connect_flow.login(
            self.sandbox, user_id=user_id, provider_id=provider_id, login=login, password=password
        )
        if account["connectionStatus"] == "AWAITING_MFA":
            account = connect_flow.verify(self.sandbox, account_id=account["id"], code=code)
        return account

    def refresh(self, account_id: str) -> dict[str, Any]:
        """Smile's monthly sync: adds next month's contribution; {account, added}."""
        return connect_flow.refresh(self.sandbox, account_id=account_id)

    def revoke(self, account_id: str) -> dict[str, Any]:
        return connect_flow.revoke(self.sandbox, account_id=account_id)

    def records(self, source_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every record of an account by kind, as the Open API serves them (no faults)."""
        by_kind = self.sandbox.store.account_records(source_id)
        return {kind: sorted(items, key=SORT_KEYS[kind]) for kind, items in by_kind.items()}

    def expire_tokens(self) -> None:
        self.sandbox.expire_tokens()

    # --- Webhooks --------------------------------------------------------------------------

    def configure_webhooks(self, url: str | None, secret: str | None) -> None:
        self.sandbox.webhooks.configure(url, secret)

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """One entry per attempt: eventId, type, attempt, url, status, error, ok, final, at."""
        return self.sandbox.webhooks.log

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every webhook event published, in publication order."""
        return copy.deepcopy(self.sandbox.webhooks.events)

    def wait_for_deliveries(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The delivery log once `count` event copies are finished (delivered, given up after
        the last retry, or logged unsent for want of a URL); TimeoutError otherwise."""
        return self.sandbox.webhooks.wait_for_deliveries(count, timeout)

    # --- Lifetime --------------------------------------------------------------------------

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_sandbox(
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    webhook_retry_delay: float = 0.05,
    **options: Any,
) -> RunningSandbox:
    """Serve a sandbox in a daemon thread on a free loopback port (port=0).

    Other options are `Config` fields: state_file, faults (dict), token_ttl, webhook_timeout,
    today (a date or "YYYY-MM-DD"; default the real date, read at each connection: records
    end the month before), tenant, log_requests (default False here: pytest output stays
    readable).
    """
    options.setdefault("log_requests", False)
    if isinstance(options.get("today"), str):
        options["today"] = date.fromisoformat(options["today"])
    if isinstance(options.get("state_file"), os.PathLike):
        options["state_file"] = os.fspath(options["state_file"])
    config = Config(
        host=host,
        port=port,
        client_id=client_id,
        client_secret=client_secret,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_retry_delay=webhook_retry_delay,
        **options,
    )
    server = SandboxServer(config)
    server.start()
    return RunningSandbox(server)
