"""The one module that speaks HTTP to Smile's Open API.

Every call goes through `SmileClient._request`: HTTP Basic auth, connect/read timeouts, the
`{code, message, requestId, data}` envelope, bounded retries, and typed errors that say whether
trying again later can help (smile_errors.py); no exception of `requests` escapes. Smile's
`requestId` is in every error and log line about an answer; the API key, secret and user tokens
are in none. What the calls return, and how it is parsed, is in smile_objects.py.

A GET is repeated after a connection failure, a timeout, an answer that broke off, a 429 or a
5xx. A POST is repeated only when it never left (connection refused, connect timeout): once
sent, Smile may have carried it out, so a missing answer is SmileOutcomeUnknown, not a retry.

Retries are written here rather than with urllib3's `Retry` because we cap how long a
`Retry-After` may hold a worker (a longer one fails fast as `SmileRateLimited`, and the task
queue retries later) and log each attempt with Smile's requestId.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import requests
import urllib3
from django.conf import settings
from django.core.cache import cache

from verification_portal import __version__
from verifications import smile_objects, smile_records, smile_values
from verifications.smile_errors import (
    ERRORS_BY_CODE,
    ERRORS_BY_STATUS,
    SmileAuthError,
    SmileBadResponse,
    SmileError,
    SmileInvalidId,
    SmileInvalidParameters,
    SmileNotFound,
    SmileOutcomeUnknown,
    SmileRateLimited,
    SmileUnavailable,
)
from verifications.smile_objects import Account, Page, Provider, Token, User, parsing
from verifications.smile_records import Kind, Record
from verifications.smile_values import MalformedRecord

logger = logging.getLogger(__name__)

USER_AGENT = f"VerificationPortal/{__version__} (+https://github.com/verification-portal)"
MAX_PAGE_SIZE = 150
# The errors are part of this module's interface: callers catch them from here.
__all__ = [
    "Account",
    "Page",
    "Provider",
    "SmileAuthError",
    "SmileBadResponse",
    "SmileClient",
    "SmileError",
    "SmileInvalidId",
    "SmileInvalidParameters",
    "SmileNotFound",
    "SmileOutcomeUnknown",
    "SmileRateLimited",
    "SmileUnavailable",
    "Token",
    "User",
]


# --- The client -----------------------------------------------------------------------------


class SmileClient:
    """A session with Smile's Open API. Create one per job; close it (or use `with`)."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        timeout: tuple[float, float] = (5.0, 30.0),
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 30.0,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.page_size = page_size
        self._client_id = client_id
        self._session = requests.Session()
        self._session.auth = (client_id, client_secret)
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})

    @classmethod
    def from_settings(cls, **options: Any) -> SmileClient:
        options.setdefault("max_attempts", settings.SMILE_MAX_ATTEMPTS)
        options.setdefault("backoff", settings.SMILE_RETRY_BACKOFF)
        options.setdefault("timeout", settings.SMILE_TIMEOUT)
        return cls(
            base_url=settings.SMILE_API_URL,
            client_id=settings.SMILE_CLIENT_ID,
            client_secret=settings.SMILE_CLIENT_SECRET,
            **options,
        )

    def __repr__(self) -> str:
        key = self._client_id[:4] + "…" if self._client_id else "none"
        return f"<SmileClient {self.base_url} key={key}>"

    def __enter__(self) -> SmileClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    # Users and tokens

    def create_user(self, *, reference: str, **metadata: str) -> tuple[User, Token]:
        """`POST /users` with our applicant reference in `externalMetadata`."""
        body = {"externalMetadata": {"reference": reference, **metadata}}
        data, request_id = self._request("POST", "/users", json=body)
        with parsing("create user", request_id):
            return smile_objects.user(data["user"]), smile_objects.token(data["token"])

    def get_user(self, user_id: str) -> User:
        user_id = _argument(smile_values.user_id, user_id, "user id")
        data, request_id = self._request("GET", f"/users/{_path(user_id)}")
        with parsing("user", request_id):
            return smile_objects.user(data)

    def create_token(self, user_id: str) -> Token:
        """`POST /tokens?userId=`: a fresh single-use token to open the widget."""
        user_id = _argument(smile_values.user_id, user_id, "user id")
        data, request_id = self._request("POST", "/tokens", params={"userId": user_id})
        with parsing("token", request_id):
            return smile_objects.token(data)

    # Accounts and providers

    def get_account(self, account_id: str, *, user_id: str | None = None) -> Account:
        """The account; with `user_id`, a SmileBadResponse (with Smile's requestId) if it
        belongs to another user."""
        account_id = _argument(smile_values.account_id, account_id, "account id")
        data, request_id = self._request("GET", f"/accounts/{_path(account_id)}")
        with parsing("account", request_id):
            account = smile_objects.account(data)
        if user_id is not None and account.user_id != user_id:
            raise SmileBadResponse(
                f"Smile account {account.id} belongs to user {account.user_id}, "
                f"not to this applicant's {user_id}",
                request_id=request_id,
            )
        return account

    def list_accounts(self, user_id: str) -> Iterator[Account]:
        user_id = _argument(smile_values.user_id, user_id, "user id")
        for page in self._pages("/accounts", {"userId": user_id}):
            with parsing("account list", page.request_id):
                yield from (smile_objects.account(item) for item in page.items)

    def get_provider(self, provider_id: str) -> Provider:
        provider_id = _argument(smile_values.smile_id, provider_id, "provider id")
        data, request_id = self._request("GET", f"/providers/{_path(provider_id)}")
        with parsing("provider", request_id):
            return smile_objects.provider(data)

    # Data records

    def iter_records(
        self, kind: Kind, *, source_id: str, user_id: str | None = None
    ) -> Iterator[Record]:
        """Every record of one kind for an account, across all pages, parsed strictly; with
        `user_id`, a record of another Smile user is a SmileBadResponse."""
        source_id = _argument(smile_values.account_id, source_id, "account id")
        for page in self._pages(kind.path, {"sourceId": source_id}):
            for item in page.items:
                with parsing(kind.value.lower(), page.request_id):
                    record = smile_records.parse_record(kind, item)
                if record.source_id != source_id:
                    raise SmileBadResponse(
                        f"{kind.value.lower()} record {record.smile_id} belongs to source "
                        f"{record.source_id}, not the requested {source_id}",
                        request_id=page.request_id,
                    )
                if user_id is not None and record.user_id and record.user_id != user_id:
                    raise SmileBadResponse(
                        f"{kind.value.lower()} record {record.smile_id} belongs to Smile user "
                        f"{record.user_id}, not this applicant's {user_id}",
                        request_id=page.request_id,
                    )
                yield record

    def iter_identities(self, source_id: str) -> Iterator[Record]:
        return self.iter_records(Kind.IDENTITIES, source_id=source_id)

    def iter_employments(self, source_id: str) -> Iterator[Record]:
        return self.iter_records(Kind.EMPLOYMENTS, source_id=source_id)

    def iter_contributions(self, source_id: str) -> Iterator[Record]:
        return self.iter_records(Kind.CONTRIBUTIONS, source_id=source_id)

    def iter_incomes(self, source_id: str) -> Iterator[Record]:
        return self.iter_records(Kind.INCOMES, source_id=source_id)

    def iter_estimated_incomes(self, source_id: str) -> Iterator[Record]:
        return self.iter_records(Kind.EINCOMES, source_id=source_id)

    # Transport

    def _pages(self, path: str, params: dict[str, str]) -> Iterator[Page]:
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            query = {**params, "size": self.page_size}
            if cursor:
                query["cursor"] = cursor
            data, request_id = self._request("GET", path, params=query)
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise SmileBadResponse(
                    f"GET {path} did not return a list page (data.items)", request_id=request_id
                )
            cursor = data.get("nextCursor")
            yield Page(items=data["items"], next_cursor=cursor, request_id=request_id)
            # The spec omits nextCursor on the last page; some descriptions say null or "".
            if not cursor:
                return
            if not isinstance(cursor, str) or cursor in seen:
                raise SmileBadResponse(
                    f"GET {path} returned a cursor that does not advance: {cursor!r:.40}",
                    request_id=request_id,
                )
            seen.add(cursor)

    def _request(self, method: str, path: str, **kwargs: Any) -> tuple[Any, str]:
        url = self.base_url + path
        if (remaining := paused_for()) > 0:
            raise SmileRateLimited(
                f"Smile asked us to wait before calling again: {method} {path} not sent, "
                f"{remaining:.0f} s left",
                retry_after=remaining,
            )
        for attempt in range(1, self.max_attempts + 1):
            started = time.monotonic()
            try:
                response = self._session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as error:
                failure, repeatable = _without_answer(method, path, error)
                wait = self._backoff(attempt) if repeatable else None
            else:
                elapsed_ms = (time.monotonic() - started) * 1000
                body = _decode(response)
                request_id = str(body.get("requestId") or "") if isinstance(body, dict) else ""
                logger.info(
                    "smile %s %s -> %s in %.0f ms (requestId %s, attempt %d)",
                    method,
                    path,
                    response.status_code,
                    elapsed_ms,
                    request_id or "-",
                    attempt,
                )
                if response.status_code < 400:
                    return self._unwrap(method, path, response, body, request_id)
                failure = _error_for(method, path, response, body, request_id)
                wait = self._wait_after(failure, method, attempt)
            if wait is None or attempt == self.max_attempts:
                logger.warning("smile %s %s failed: %s", method, path, failure)
                if isinstance(failure, SmileRateLimited) and failure.retry_after:
                    pause(failure.retry_after)
                raise failure
            logger.warning(
                "smile %s %s: %s; retrying in %.1f s (attempt %d of %d)",
                method,
                path,
                failure,
                wait,
                attempt + 1,
                self.max_attempts,
            )
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_after(self, failure: SmileError, method: str, attempt: int) -> float | None:
        """How long to wait before repeating a call Smile answered with an error, or None."""
        if failure.permanent or method == "POST":
            # A POST that got an answer reached Smile: repeating it could create twice.
            return None
        if isinstance(failure, SmileRateLimited) and failure.retry_after is not None:
            if failure.retry_after > self.max_retry_after:
                return None
            return failure.retry_after
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        # Exponential backoff with full jitter, so many workers do not retry in step.
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret

    def _unwrap(
        self, method: str, path: str, response: requests.Response, body: Any, request_id: str
    ) -> tuple[Any, str]:
        if not isinstance(body, dict):
            raise SmileBadResponse(
                f"Smile answered {method} {path} with something that is not a JSON object",
                status=response.status_code,
                request_id=request_id,
            )
        if body.get("code") not in ("OK", "CREATED") or "data" not in body:
            raise SmileBadResponse(
                f"Smile answered {method} {path} without the {{code, data}} envelope",
                status=response.status_code,
                code=str(body.get("code") or ""),
                request_id=request_id,
            )
        return body["data"], request_id


# No answer now, but maybe on another try: no connection, a timeout, or an answer that broke
# off (fewer bytes than its Content-Length, a connection dropped mid-body) or cannot be decoded.
_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _without_answer(
    method: str, path: str, error: requests.RequestException
) -> tuple[SmileError, bool]:
    """The error for a call that got no complete answer, and whether repeating it is safe."""
    call = f"{method} {path}"
    if isinstance(error, requests.TooManyRedirects):
        return SmileBadResponse(f"Smile answered {call} with endless redirects"), False
    if not isinstance(error, _TRANSIENT):
        # A malformed SMILE_API_URL or a body that cannot be sent: asking again cannot help.
        return SmileError(f"Could not send {call} to Smile: {_describe(error)}"), False
    message = f"No complete answer from Smile to {call}: {_describe(error)}"
    if method != "POST" or _before_sending(error):
        return SmileUnavailable(message), True
    # The POST may have reached Smile and been carried out: repeating it could create twice.
    unknown = SmileOutcomeUnknown(
        f"{message}; Smile may have carried it out, so it is not repeated"
    )
    return unknown, False


def _before_sending(error: Exception) -> bool:
    """Did the request fail before any byte reached Smile (refused, unresolvable, timed out)?"""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    cause = error.args[0] if error.args else None
    reason = getattr(cause, "reason", cause)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _describe(error: Exception) -> str:
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the answer broke off before its end"
    if isinstance(error, requests.exceptions.ContentDecodingError):
        return "the answer could not be decoded"
    cause = error.args[0] if error.args else None
    reason = getattr(cause, "reason", None)
    # urllib3's messages repeat the URL (never credentials: auth travels in a header).
    return type(reason or error).__name__


def _decode(response: requests.Response) -> Any:
    try:
        # Decimal, not float: amounts must arrive exactly as Smile wrote them.
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, RecursionError):
        # RecursionError: JSON nested deeper than Python's stack, which no Smile answer is.
        return None


def _error_for(
    method: str, path: str, response: requests.Response, body: Any, request_id: str
) -> SmileError:
    status = response.status_code
    code = str(body.get("code") or "") if isinstance(body, dict) else ""
    if code not in ERRORS_BY_CODE:
        code = ERRORS_BY_STATUS.get(status, "SERVER_ERROR" if status >= 500 else "")
    error_class, summary = ERRORS_BY_CODE.get(
        code, (SmileInvalidParameters, "Smile refused the request")
    )
    detail = body.get("message") if isinstance(body, dict) else None
    message = f"{summary} for {method} {path}" + (f": {detail}" if detail else "")
    if error_class is SmileRateLimited:
        return SmileRateLimited(
            message,
            retry_after=_retry_after(response),
            status=status,
            code=code,
            request_id=request_id,
        )
    return error_class(message, status=status, code=code, request_id=request_id)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        # An HTTP date is allowed too; Smile documents no headers at all, so fall back to
        # our own backoff rather than parse dates.
        return None


def _argument(check: Callable[[Any, str], str], value: Any, what: str) -> str:
    """A caller's id, checked before anything is sent (a path must not be "/users/")."""
    try:
        return check(value, what)
    except MalformedRecord as error:
        raise SmileInvalidId(f"{error}; nothing was sent to Smile") from None


def _path(identifier: str) -> str:
    return requests.utils.quote(identifier, safe="")


# --- Honouring Retry-After across processes -----------------------------------------------------

# Smile limits requests per IP address (smile-api.md), and every worker of the portal shares
# that address. So once Smile asks us to wait longer than one call may sleep, no process that
# shares the cache (Redis in production) calls it before that time: the other queued events
# would otherwise each spend a request, and prolong the limit, within milliseconds.
PAUSE_KEY = "smile:pause-until"


def pause(seconds: float) -> None:
    """Make no call to Smile for `seconds`, from any process sharing the cache."""
    try:
        cache.set(PAUSE_KEY, time.time() + seconds, timeout=math.ceil(seconds))
    except Exception:  # a cache outage must not hide Smile's own error
        logger.warning("could not record Smile's Retry-After in the cache", exc_info=True)


def paused_for() -> float:
    """Seconds left before Smile may be called again; 0 when it may be called now."""
    try:
        until = cache.get(PAUSE_KEY)
    except Exception:  # without the cache, call Smile and let it answer
        logger.warning("could not read Smile's Retry-After from the cache", exc_info=True)
        return 0.0
    return max(0.0, until - time.time()) if until else 0.0
