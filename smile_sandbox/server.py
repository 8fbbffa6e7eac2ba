"""The HTTP server: wsgiref with a thread per request, one log line per request on stderr."""

from __future__ import annotations

import socketserver
import sys
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from smile_sandbox.app import SandboxApp
from smile_sandbox.sandbox import Config, Sandbox


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    # A slow request (the `slow` fault, a long webhook handler) must not block the others.
    daemon_threads = True
    allow_reuse_address = True


class LoggingHandler(WSGIRequestHandler):
    log_requests = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.log_requests:
            sys.stderr.write(f"smile-sandbox {self.address_string()} {format % args}\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log_message('"%s" %s %s', self.requestline, str(code), str(size))


class SandboxServer:
    """A sandbox bound to its socket: `serve_forever()` here, or `start()` in a thread."""

    def __init__(self, config: Config) -> None:
        self.sandbox = Sandbox(config)
        handler = type("Handler", (LoggingHandler,), {"log_requests": config.log_requests})
        self.httpd = make_server(
            config.host,
            config.port,
            SandboxApp(self.sandbox),
            server_class=ThreadingWSGIServer,
            handler_class=handler,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base_url(self) -> str:
        host = self.httpd.server_address[0]
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self.sandbox.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.close()

    def start(self) -> None:
        self.sandbox.start()
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="smile-sandbox-http",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving (from another thread than serve_forever's), persist, release the port."""
        self.httpd.shutdown()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.close()

    def close(self) -> None:
        self.sandbox.stop()
        self.httpd.server_close()
