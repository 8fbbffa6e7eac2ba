"""The WSGI application: one entry point that sends each path prefix to its API.

/                   200 {"status": "ready"}
/v1/...             Smile's Open API (open_api.py)
/link/v1/...        the widget's Link API, with CORS (link_api.py)
/v2/smile.v2.js     the stand-in widget, and /v2/smile.v2.css its stylesheet
/_sandbox/...       admin endpoints for tests (admin_api.py)
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from smile_sandbox.admin_api import AdminApi
from smile_sandbox.link_api import CORS_HEADERS, LinkApi
from smile_sandbox.open_api import OpenApi
from smile_sandbox.sandbox import Sandbox
from smile_sandbox.web import ApiError, Request, Response, error_response, json_response

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {
    "/v2/smile.v2.js": ("smile.v2.js", "application/javascript; charset=utf-8"),
    "/v2/smile.v2.css": ("smile.v2.css", "text/css; charset=utf-8"),
}


class SandboxApp:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.open_api = OpenApi(sandbox)
        self.link_api = LinkApi(sandbox)
        self.admin_api = AdminApi(sandbox)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        cors = path.startswith("/link/v1")
        try:
            request = Request.from_environ(environ)
            response = self.route(request)
        except ApiError as error:
            response = error_response(error)
        except Exception:  # answer in Smile's envelope rather than drop the connection
            traceback.print_exc(file=sys.stderr)
            response = error_response(ApiError(500, "The sandbox hit an unexpected error."))
        if cors:
            response.headers.update(CORS_HEADERS)
        return response.wsgi(start_response)

    def route(self, request: Request) -> Response:
        path = request.path
        if path == "/":
            return json_response({"status": "ready"})
        for prefix, api in (
            ("/v1", self.open_api),
            ("/link/v1", self.link_api),
            ("/_sandbox", self.admin_api),
        ):
            if path == prefix or path.startswith(prefix + "/"):
                return api.handle(request, path[len(prefix) :] or "/")
        if path in STATIC_FILES:
            if request.method not in ("GET", "HEAD"):
                raise ApiError(501, f"{request.method} is not supported on {path}.")
            name, content_type = STATIC_FILES[path]
            return Response(
                200,
                (STATIC / name).read_bytes(),
                {
                    "Content-Type": content_type,
                    "Cache-Control": "no-cache",
                    "Access-Control-Allow-Origin": "*",
                },
            )
        raise ApiError(404, f"No resource at {request.method} {path}.")
