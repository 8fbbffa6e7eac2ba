"""Fixtures for the sandbox's own tests: a running sandbox, an API client, a webhook receiver
and the Smile OpenAPI spec with a validator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    TODAY,
    WEBHOOK_SECRET,
    Api,
    Receiver,
    SpecValidator,
    spec_path,
    with_known_flaws_tolerated,
)

from smile_sandbox.testing import RunningSandbox, start_sandbox


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    import yaml

    path = spec_path()
    if path is None:
        pytest.skip("Smile's OpenAPI spec not found (set SMILE_OPENAPI_SPEC)")
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="session")
def validator(spec: dict[str, Any]) -> SpecValidator:
    return SpecValidator(with_known_flaws_tolerated(spec))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, webhook_secret=WEBHOOK_SECRET, today=TODAY
    ) as running:
        yield running


@pytest.fixture
def api(sandbox: RunningSandbox) -> Api:
    return Api(sandbox.api_url)


@pytest.fixture
def george(sandbox: RunningSandbox, api: Api) -> dict[str, Any]:
    """A Smile user with George's SSS account connected: {"userId", "account"}."""
    user_id = api.create_user(reference="APP-1")
    account = sandbox.connect(user_id, "sss_ph", "george", "123456")
    assert account["connectionStatus"] == "CONNECTED"
    return {"userId": user_id, "account": account}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium even when this folder runs alone.

    tests/conftest.py already sets this for the whole suite; this fallback only matters with
    `pytest tests/sandbox -p no:django --confcutdir=tests/sandbox` (no Django needed).
    """
    if "executable_path" in browser_type_launch_args:
        return browser_type_launch_args
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--no-first-run"],
    }
