"""Smile's Open API under /v1: the same paths, statuses, envelope, paging and errors."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import time
from datetime import date
from typing import Any

from smile_sandbox import connect
from smile_sandbox.faults import spoil
from smile_sandbox.pagination import paginate
from smile_sandbox.providers import KINDS, PROVIDERS
from smile_sandbox.sandbox import Sandbox
from smile_sandbox.web import ApiError, Request, Response, Router, envelope

SORT_KEYS = {
    "identities": lambda r: (r["metadata"]["createdAt"], r.get("id", "")),
    "employments": lambda r: (r["startDate"], r.get("id", "")),
    "contributions": lambda r: (r["date"], r.get("id", "")),
    "incomes": lambda r: (r["startDate"], r.get("id", "")),
    "eincomes": lambda r: (r["month"], r.get("id", "")),
}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_credentials(sandbox: Sandbox, request: Request) -> None:
    """HTTP Basic with the API key and secret.

    smile-api.md's mapping: a missing or malformed Authorization header is 401 INVALID_TOKEN;
    a well-formed one with the wrong key or secret is 400 INVALID_CREDENTIALS.
    """
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    malformed = ApiError(401, "Authorization must be HTTP Basic with your API key and secret.")
    if scheme.lower() != "basic" or not value.strip():
        raise malformed
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise malformed from None
    if ":" not in decoded:
        raise malformed
    client_id, _, client_secret = decoded.partition(":")
    # Both comparisons always run, in constant time, so timing tells nothing about either.
    id_ok = hmac.compare_digest(client_id.encode(), sandbox.config.client_id.encode())
    secret_ok = hmac.compare_digest(client_secret.encode(), sandbox.config.client_secret.encode())
    if not (id_ok & secret_ok):
        raise ApiError(400, "The API key or secret is wrong.", code="INVALID_CREDENTIALS")


def _date(request: Request, name: str) -> str | None:
    value = request.arg(name)
    if not value:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a date as YYYY-MM-DD, not {value!r}.") from None
    return value


def _month(request: Request, name: str) -> str | None:
    value = request.arg(name)
    if not value:
        return None
    if not _MONTH.match(value):
        raise ApiError(400, f"{name} must be a month as YYYY-MM, not {value!r}.")
    return value


def _in_range(start: str, end: str | None, low: str | None, high: str | None) -> bool:
    """Whether [start, end] (end None: still running) overlaps [low, high]."""
    if high is not None and start > high:
        return False
    return not (low is not None and end is not None and end < low)


class OpenApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.router = Router()
        add = self.router.add
        add("/users", "GET", self.list_users)
        add("/users", "POST", self.create_user)
        add("/users/{id}", "GET", self.get_user)
        add("/tokens", "POST", self.create_token)
        add("/accounts", "GET", self.list_accounts)
        add("/accounts/{id}", "GET", self.get_account)
        add("/accounts/{id}", "DELETE", self.delete_account)
        add("/providers", "GET", self.list_providers)
        add("/providers/{id}", "GET", self.get_provider)
        for kind in KINDS:
            add(f"/{kind}", "GET", self._lister(kind))
            add(f"/{kind}/{{id}}", "GET", self._getter(kind))

    def handle(self, request: Request, path: str) -> Response:
        delay, fault = self.sandbox.faults.on_api_call()
        if delay:
            time.sleep(delay)
        if fault is not None:
            raise fault
        check_credentials(self.sandbox, request)
        return self.router.dispatch(request, path)

    # --- Users and tokens ------------------------------------------------------------------

    def create_user(self, request: Request) -> Response:
        body = request.json()
        user, token = self.sandbox.create_user(body.get("externalMetadata"))
        return envelope({"user": user, "token": token}, status=201)

    def list_users(self, request: Request) -> Response:
        low, high = _date(request, "startDate"), _date(request, "endDate")
        users = [
            user
            for user in self.sandbox.store.all_users()
            if _in_range(user["createdAt"][:10], user["createdAt"][:10], low, high)
        ]
        # A stable sort on createdAt keeps creation order within one second.
        users.sort(key=lambda user: user["createdAt"])
        return envelope(paginate(request, users, {"startDate": low, "endDate": high}))

    def get_user(self, request: Request) -> Response:
        user = self.sandbox.store.user(request.params["id"])
        if user is None:
            raise ApiError(404, f"User {request.params['id']} does not exist.")
        return envelope(user)

    def create_token(self, request: Request) -> Response:
        user_id = request.arg("userId")
        if not user_id:
            raise ApiError(400, "userId is required (a query parameter).")
        return envelope(self.sandbox.issue_token(user_id), status=201)

    # --- Accounts and providers ------------------------------------------------------------

    def list_accounts(self, request: Request) -> Response:
        user_id = request.arg("userId") or None
        low, high = _date(request, "startDate"), _date(request, "endDate")
        accounts = [
            account
            for account in self.sandbox.store.all_accounts()
            if (user_id is None or account["userId"] == user_id)
            and _in_range(account["createdAt"][:10], account["createdAt"][:10], low, high)
        ]
        accounts.sort(key=lambda account: account["createdAt"])
        filters = {"userId": user_id, "startDate": low, "endDate": high}
        return envelope(paginate(request, accounts, filters))

    def get_account(self, request: Request) -> Response:
        state = self.sandbox.store.account(request.params["id"])
        if state is None:
            raise ApiError(404, f"Account {request.params['id']} does not exist.")
        return envelope(state["account"])

    def delete_account(self, request: Request) -> Response:
        connect.revoke(self.sandbox, account_id=request.params["id"])
        # CommonResponse: code, message and requestId only.
        return envelope(include_data=False)

    def list_providers(self, request: Request) -> Response:
        ids = [part for value in request.query.get("ids", []) for part in value.split(",") if part]
        top = [part for value in request.query.get("topIds", []) for part in value.split(",")]
        providers = [dict(provider) for provider in PROVIDERS.values()]
        if ids:
            providers = [p for p in providers if p["id"] in ids]
        for name in ("type", "subType"):
            if request.arg(name):
                providers = [p for p in providers if p[name] == request.arg(name)]
        if request.arg("name"):
            needle = request.arg("name").lower()
            providers = [p for p in providers if needle in p["name"].lower()]
        for name in ("active", "enabled", "accountConnection"):
            wanted = request.arg(name)
            if wanted is not None:
                providers = [p for p in providers if str(p[name]).lower() == wanted.lower()]
        providers.sort(key=lambda p: top.index(p["id"]) if p["id"] in top else len(top))
        filters = {key: sorted(values) for key, values in request.query.items()}
        filters.pop("cursor", None)
        filters.pop("size", None)
        return envelope(paginate(request, providers, filters))

    def get_provider(self, request: Request) -> Response:
        provider = PROVIDERS.get(request.params["id"])
        if provider is None:
            raise ApiError(404, f"Provider {request.params['id']} does not exist.")
        return envelope(dict(provider))

    # --- Records ---------------------------------------------------------------------------

    def _lister(self, kind: str):
        def handler(request: Request) -> Response:
            items, filters = self.query_records(kind, request)
            data = paginate(request, items, filters)
            field = self.sandbox.faults.malformed_field(kind) if data["items"] else None
            if field is not None:
                data["items"][0] = spoil(data["items"][0], field)
            return envelope(data)

        return handler

    def _getter(self, kind: str):
        def handler(request: Request) -> Response:
            record = self.sandbox.store.find_record(kind, request.params["id"])
            if record is None:
                raise ApiError(404, f"No {kind[:-1]} with id {request.params['id']}.")
            return envelope(record)

        return handler

    def query_records(
        self, kind: str, request: Request
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The records a list request selects, in serving order, and its filters."""
        user_id = request.arg("userId") or None
        source_id = request.arg("sourceId") or request.arg("accountId") or None  # alias
        if kind == "eincomes":
            low, high = _month(request, "startMonth"), _month(request, "endMonth")
        elif kind == "identities":
            low = high = None
        else:
            low, high = _date(request, "startDate"), _date(request, "endDate")
        items = []
        for record in self.sandbox.store.records_of_kind(kind, source_id):
            metadata = record["metadata"]
            if user_id is not None and metadata["userId"] != user_id:
                continue
            if source_id is not None and metadata["sourceId"] != source_id:
                continue
            if kind == "contributions" and not _in_range(record["date"], record["date"], low, high):
                continue
            if kind in ("employments", "incomes") and not _in_range(
                record["startDate"], record.get("endDate"), low, high
            ):
                continue
            if kind == "eincomes" and not _in_range(record["month"], record["month"], low, high):
                continue
            items.append(record)
        items.sort(key=SORT_KEYS[kind])
        filters = {"userId": user_id, "sourceId": source_id, "low": low, "high": high}
        return items, filters
