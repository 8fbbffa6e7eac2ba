"""Helpers for the sandbox's tests: an Open API client, a webhook receiver, the spec validator.

(A module of its own, not conftest.py: tests import these classes by name.)
"""

from __future__ import annotations

import copy
import http.server
import os
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import requests

TODAY = date(2025, 11, 15)  # records end with 2025-10 whatever the real date is
# George's SSS contributions up to TODAY: 2002-01..2025-10 is 286 months, less the 8 months
# between two jobs (2013-07..2014-02) and the missed 2023-03. Two pages at size 150.
GEORGE_CONTRIBUTIONS = 286 - 8 - 1
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
WEBHOOK_SECRET = "whsec-sandbox-tests"
REPO = Path(__file__).resolve().parents[2]
SPEC_URI = "urn:smile-openapi-v1"


# --- The spec ------------------------------------------------------------------------------


def spec_path() -> Path | None:
    candidates = [
        os.environ.get("SMILE_OPENAPI_SPEC"),
        REPO.parent / "shared" / "smile-openapi" / "openapi-v1.yaml",
        "/work/shared/smile-openapi/openapi-v1.yaml",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def with_known_flaws_tolerated(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec, minus flaws that the sandbox must not copy (so it validates what is right).

    - HTTP 415 answers UNSUPPORTED_TYPE (smile-api.md), missing from the code enum.
    - TaskFinishedEventData requires a `data` property that it does not define, and types
      `errorCode` as a non-null string while its own example sends null on success.
    """
    fixed = copy.deepcopy(spec)
    schemas = fixed["components"]["schemas"]
    schemas["ObjectMetadataRefCode"]["enum"].append("UNSUPPORTED_TYPE")
    task_finished = schemas["TaskFinishedEventData"]
    task_finished["required"] = [name for name in task_finished["required"] if name != "data"]
    task_finished["properties"]["errorCode"]["nullable"] = True
    return fixed


class SpecValidator:
    def __init__(self, spec: dict[str, Any]) -> None:
        from openapi_schema_validator import OAS30Validator, oas30_format_checker
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        self.spec = spec
        self._validator_class = OAS30Validator
        self._format_checker = oas30_format_checker
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self._registry = Registry().with_resource(SPEC_URI, resource)

    def errors(self, pointer: str, payload: Any) -> list[str]:
        """Validation errors of payload against the schema at a JSON pointer in the spec."""
        validator = self._validator_class(
            {"$ref": f"{SPEC_URI}#{pointer}"},
            registry=self._registry,
            format_checker=self._format_checker,
        )
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in validator.iter_errors(payload)
        ]

    def check(self, name: str, payload: Any) -> None:
        errors = self.errors(f"/components/schemas/{name}", payload)
        assert not errors, f"{name}: " + "; ".join(errors[:10])

    def response_pointer(self, method: str, template: str, status: int) -> str:
        """Where the spec keeps the schema of this operation's answer with this status."""
        responses = self.spec["paths"][template][method.lower()]["responses"]
        response = responses.get(str(status)) or responses.get("default")
        assert response is not None, f"{method} {template} does not document HTTP {status}"
        if "$ref" in response:
            name = response["$ref"].rsplit("/", 1)[-1]
            return f"/components/responses/{name}/content/application~1json/schema"
        schema = response["content"]["application/json"]["schema"]
        return schema["$ref"].removeprefix("#")

    def check_response(self, method: str, template: str, reply: Reply) -> None:
        pointer = self.response_pointer(method, template, reply.status)
        errors = self.errors(pointer, reply.body)
        assert not errors, f"{method} {template} {reply.status}: " + "; ".join(errors[:10])


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Records every POST; answers the queued statuses (after the queued delays), then 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.delays: list[float] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._changed:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    delay = receiver.delays.pop(0) if receiver.delays else 0
                    receiver._changed.notify_all()
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/smile/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self.received)} of {count} webhooks arrived")
                self._changed.wait(remaining)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Reply:
    status: int
    body: Any
    headers: requests.structures.CaseInsensitiveDict

    @property
    def data(self) -> Any:
        return self.body["data"]


class Api:
    """The Open API as the portal calls it: HTTP Basic, JSON."""

    def __init__(self, base_url: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.auth = (client_id, secret)

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        response = self.session.request(method, self.base_url + path, timeout=10, **kwargs)
        return Reply(response.status_code, response.json(), response.headers)

    def without_auth(self, method: str, path: str, **kwargs: Any) -> Reply:
        """A call without our credentials (pass your own Authorization header, or none)."""
        response = requests.request(method, self.base_url + path, timeout=10, **kwargs)
        return Reply(response.status_code, response.json(), response.headers)

    def get(self, path: str, **params: Any) -> Reply:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **params: Any) -> Reply:
        return self.request("POST", path, json=body, params=params)

    def delete(self, path: str) -> Reply:
        return self.request("DELETE", path)

    def pages(self, path: str, **params: Any) -> list[Reply]:
        """Every page of a list, following nextCursor until it is absent."""
        replies = [self.get(path, **params)]
        while "nextCursor" in replies[-1].data:
            assert replies[-1].status == 200, replies[-1].body
            replies.append(self.get(path, **params, cursor=replies[-1].data["nextCursor"]))
            assert len(replies) < 500, "pagination does not end"
        return replies

    def create_user(self, **metadata: str) -> str:
        reply = self.post("/users", {"externalMetadata": metadata})
        assert reply.status == 201, reply.body
        return reply.data["user"]["id"]
