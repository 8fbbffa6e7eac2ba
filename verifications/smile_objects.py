"""What the Smile client's calls return (users, tokens, accounts, providers), parsed strictly.

Kept apart from `smile.py`, which does the HTTP: these are plain values and the functions that
build them from a response's `data`. A missing key or a bad value becomes SmileBadResponse
through `parsing`, carrying Smile's requestId.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from verifications import smile_values
from verifications.models import LinkedAccount
from verifications.smile_errors import SmileBadResponse
from verifications.smile_values import MalformedRecord


@dataclass(frozen=True)
class User:
    id: str
    external_metadata: dict
    created_at: Any
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class Token:
    """A user token: it only starts the widget, and is single use."""

    access_token: str = field(repr=False)
    expires_at: Any
    mode: str
    id: str = ""


@dataclass(frozen=True)
class Account:
    id: str
    user_id: str
    provider_id: str
    connection_status: str
    error_code: str
    error_message: str
    monitor_status: str
    created_at: Any
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    type: str
    supported: tuple[str, ...]
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None
    request_id: str


@contextlib.contextmanager
def parsing(what: str, request_id: str) -> Iterator[None]:
    """Turn a missing key or a bad value in a response into SmileBadResponse."""
    try:
        yield
    except (KeyError, TypeError, AttributeError) as error:
        raise SmileBadResponse(
            f"Smile's {what} response lacks a required field or has the wrong type: {error}",
            request_id=request_id,
        ) from error
    except MalformedRecord as error:
        raise SmileBadResponse(f"Smile sent a malformed {error}", request_id=request_id) from error


def user(data: dict) -> User:
    return User(
        id=smile_values.user_id(data["id"]),
        external_metadata=dict(data.get("externalMetadata") or {}),
        created_at=smile_values.instant(data.get("createdAt"), "createdAt"),
        raw=data,
    )


def token(data: dict) -> Token:
    access_token = data["accessToken"]
    if not isinstance(access_token, str) or not access_token:
        raise MalformedRecord("token accessToken is empty")
    return Token(
        access_token=access_token,
        expires_at=smile_values.instant(data["expiresAt"], "expiresAt", required=True),
        mode=smile_values.text(data.get("mode")),
        id=smile_values.text(data.get("id")),
    )


def account(data: dict) -> Account:
    connection = data.get("connection") or {}
    # Stored on LinkedAccount as they are: codes too long for their column are refused.
    state = smile_values.fit(
        LinkedAccount,
        {
            "provider_id": smile_values.smile_id(data["providerId"], "providerId"),
            "connection_status": smile_values.text(
                data.get("connectionStatus") or connection.get("status")
            ),
            "error_code": smile_values.text(connection.get("errorCode")),
            "monitor_status": smile_values.text(data.get("monitorStatus")),
        },
    )
    return Account(
        id=smile_values.account_id(data["id"]),
        user_id=smile_values.user_id(data["userId"], "userId"),
        error_message=smile_values.text(connection.get("errorMessage")),
        created_at=smile_values.instant(data.get("createdAt"), "createdAt"),
        raw=data,
        **state,
    )


def provider(data: dict) -> Provider:
    return Provider(
        id=smile_values.smile_id(data["id"], "provider id"),
        name=smile_values.text(data.get("name")),
        type=smile_values.text(data.get("type")),
        supported=tuple(data.get("supported") or ()),
        raw=data,
    )
