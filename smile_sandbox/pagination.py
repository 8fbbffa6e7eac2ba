"""Cursor pagination as Smile does it: `size` and an opaque `cursor`, no total count.

A cursor is urlsafe base64 of `{"o": offset, "f": checksum of the path and filters}`: opaque
to clients, and a cursor reused with other filters or on another list (a contributions cursor
on /employments) is refused rather than silently skipping records. The last page has no
`nextCursor` at all (the spec types it as a non-null string).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from smile_sandbox.web import ApiError, Request

DEFAULT_SIZE = 10
MAX_SIZE = 150


def page_size(request: Request) -> int:
    raw = request.arg("size")
    if raw is None:
        return DEFAULT_SIZE
    try:
        size = int(raw.strip())
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_SIZE or not raw.strip().lstrip("+").isdigit():
        raise ApiError(400, f"size must be an integer from 1 to {MAX_SIZE}, not {raw!r}.")
    return size


def _checksum(filters: dict[str, Any]) -> str:
    text = json.dumps(filters, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_cursor(offset: int, filters: dict[str, Any]) -> str:
    raw = json.dumps({"o": offset, "f": _checksum(filters)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, filters: dict[str, Any]) -> int:
    bad = ApiError(400, "cursor is not a cursor this API returned; start again without one.")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        raise bad from None
    if not isinstance(value, dict) or not isinstance(value.get("o"), int) or value["o"] < 0:
        raise bad
    if value.get("f") != _checksum(filters):
        raise ApiError(400, "cursor belongs to another list or a query with other filters.")
    return value["o"]


def paginate(request: Request, items: list[Any], filters: dict[str, Any]) -> dict[str, Any]:
    """`{"nextCursor"?, "items"}` for the page the request asks for."""
    size = page_size(request)
    filters = {**filters, "path": request.path}
    cursor = request.arg("cursor")
    offset = decode_cursor(cursor, filters) if cursor else 0
    chunk = items[offset : offset + size]
    data: dict[str, Any] = {}
    if offset + size < len(items):
        data["nextCursor"] = encode_cursor(offset + size, filters)
    data["items"] = chunk
    return data
