"""A tiny HTTP server that answers as scripted: what the sandbox, being correct, never sends.

Each request gets the next scripted reply, in order (a wrong envelope, a null cursor, a body cut
off mid-way...), and is recorded with its headers, so a test can also check what we sent.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One answer. `body` is JSON-encoded unless it is bytes; `cut_after` sends only that many
    bytes of it (the headers still announce the whole length) and then drops the connection."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None
    chunked: bool = False


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


def envelope(data: Any, *, code: str = "OK", request_id: str = "req-crafted-1") -> dict:
    return {"code": code, "message": "Success", "requestId": request_id, "data": data}


def page(items: list, next_cursor: Any = ..., *, request_id: str = "req-crafted-1") -> Reply:
    """A list page; `next_cursor` left out means the field is absent."""
    data: dict[str, Any] = {"items": items}
    if next_cursor is not ...:
        data["nextCursor"] = next_cursor
    return Reply(envelope(data, request_id=request_id))


class CraftedSmile:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            if not self.replies:
                return Reply(envelope({}, code="SERVER_ERROR"), status=599)
            return self.replies.pop(0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(crafted: CraftedSmile) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                method=self.command,
                path=url.path,
                query=dict(urllib.parse.parse_qsl(url.query)),
                headers=dict(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
            )
            reply = crafted._next(seen)
            body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            sent = body if reply.cut_after is None else body[: reply.cut_after]
            if reply.chunked:
                # One chunk announcing the whole body; the last-chunk only if nothing is cut.
                self.wfile.write(b"%x\r\n%s" % (len(body), sent))
                if reply.cut_after is None:
                    self.wfile.write(b"\r\n0\r\n\r\n")
            else:
                self.wfile.write(sent)
            if reply.cut_after is not None:
                self.wfile.flush()
                self.close_connection = True

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def crafted_smile() -> Iterator[CraftedSmile]:
    """A CraftedSmile on a free loopback port, for a test file's `crafted` fixture."""
    server = CraftedSmile()
    server.start()
    try:
        yield server
    finally:
        server.stop()
