"""Small WSGI helpers: requests, responses, Smile's envelope, errors and routing."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

# Reason phrases for the statuses we answer; wsgiref wants "200 OK", not a bare number.
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Smile's error code for each status (smile-api.md, "Envelope, pagination, errors").
CODES = {
    400: "INVALID_PARAMETERS",
    401: "INVALID_TOKEN",
    403: "UNAUTHORIZED_ACCESS",
    404: "MISSING_RESOURCE",
    415: "UNSUPPORTED_TYPE",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "SERVER_ERROR",
    501: "UNSUPPORTED_METHOD",
    503: "SERVER_UNAVAILABLE",
    504: "TIME_LIMIT_EXCEEDED",
}

MAX_BODY = 1024 * 1024


class ApiError(Exception):
    """An error answered in Smile's envelope: `{code, message, requestId, data: {}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES[status]
        self.message = message
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            raise ApiError(400, "The request body is too large.")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        # PATH_INFO arrives latin-1 decoded (PEP 3333); re-decode it as the UTF-8 it was.
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        return cls(
            method=environ["REQUEST_METHOD"].upper(),
            path=path,
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers,
            body=body,
        )

    def arg(self, name: str) -> str | None:
        """The last value of a query parameter, or None when absent."""
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self, *, required: bool = False) -> dict[str, Any]:
        """The JSON object in the body ({} when empty and not required)."""
        if not self.body.strip():
            if required:
                raise ApiError(400, "A JSON body is required.")
            return {}
        content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, "The body must be JSON (Content-Type: application/json).")
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(400, f"The body is not valid JSON: {error}.") from None
        if not isinstance(value, dict):
            raise ApiError(400, "The body must be a JSON object.")
        return value


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def wsgi(self, start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = [("Content-Length", str(len(self.body))), *self.headers.items()]
        start_response(f"{self.status} {REASONS.get(self.status, 'Unknown')}", headers)
        return [self.body]


def envelope(
    data: Any = None,
    *,
    status: int = 200,
    code: str = "OK",
    message: str = "Success",
    headers: dict[str, str] | None = None,
    include_data: bool = True,
) -> Response:
    """Every answer, errors too, is `{code, message, requestId, data}`."""
    payload: dict[str, Any] = {"code": code, "message": message, "requestId": str(uuid.uuid4())}
    if include_data:
        payload["data"] = {} if data is None else data
    return json_response(payload, status=status, headers=headers)


def error_response(error: ApiError) -> Response:
    return envelope(
        {}, status=error.status, code=error.code, message=error.message, headers=error.headers
    )


def json_response(
    payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(
        status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )


Handler = Callable[[Request], Response]


class Router:
    """Paths like `/accounts/{id}`; an unknown path is 404, a known one with another method 501."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []

    def add(self, pattern: str, method: str, handler: Handler) -> None:
        regex = re.compile(
            "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/")) + "/?$"
        )
        for existing, methods in self._routes:
            if existing.pattern == regex.pattern:
                methods[method] = handler
                return
        self._routes.append((regex, {method: handler}))

    def match(self, path: str) -> tuple[dict[str, Handler], dict[str, str]] | None:
        for regex, methods in self._routes:
            found = regex.match(path)
            if found:
                return methods, found.groupdict()
        return None

    def dispatch(self, request: Request, path: str) -> Response:
        matched = self.match(path)
        if matched is None:
            raise ApiError(404, f"No resource at {request.method} {request.path}.")
        methods, params = matched
        handler = methods.get(request.method)
        if handler is None:
            raise ApiError(
                501,
                f"{request.method} is not supported on {request.path}; "
                f"use {', '.join(sorted(methods))}.",
            )
        request.params = params
        return handler(request)
