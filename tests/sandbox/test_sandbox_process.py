"""The sandbox as a process: state that survives a restart, and the command line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from sandbox_support import GEORGE_CONTRIBUTIONS, TODAY, Api

from smile_sandbox.testing import start_sandbox

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "sandbox-state.json"
    with start_sandbox(state_file=state, today=TODAY) as first:
        api = Api(first.api_url)
        created = api.post("/users", {"externalMetadata": {"ref": "A-7"}}).data
        user_id = created["user"]["id"]
        account = first.connect(user_id, "sss_ph", "george", "123456")
        first.refresh(account["id"])
        before = {
            "user": api.get(f"/users/{user_id}").data,
            "account": api.get(f"/accounts/{account['id']}").data,
            "records": first.records(account["id"]),
        }
    assert json.loads(state.read_text())["version"] == 1
    with start_sandbox(state_file=state, today=TODAY) as second:
        api = Api(second.api_url)
        assert api.get(f"/users/{user_id}").data == before["user"]
        assert api.get(f"/accounts/{account['id']}").data == before["account"]
        assert second.records(account["id"]) == before["records"]
        # Every month up to TODAY's, plus the one the refresh added.
        assert len(before["records"]["contributions"]) == GEORGE_CONTRIBUTIONS + 1
        session = requests.get(
            second.link_api_url + "/session",
            headers={"Authorization": "Bearer " + created["token"]["accessToken"]},
            timeout=5,
        )
        assert session.status_code == 200, "user tokens survive a restart too"


def test_the_command_line_serves_until_sigterm(tmp_path):
    port = free_port()
    state = tmp_path / "state.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SMILE_CLIENT_ID": "cli-key",
        "SMILE_CLIENT_SECRET": "cli-secret",
        "SMILE_SANDBOX_TOKEN_TTL": "120",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "smile_sandbox", "--port", str(port), "--state-file", str(state)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                ready = requests.get(base + "/", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready"}
        api = Api(base + "/v1", "cli-key", "cli-secret")
        user = api.post("/users").data
        assert user["token"]["expiresAt"] < _in_seconds(user["user"]["createdAt"], 180)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert '"POST /v1/users HTTP/1.1" 201' in stderr
    assert user["user"]["id"] in state.read_text(), "state persisted on SIGTERM"


def _in_seconds(instant: str, seconds: int) -> str:
    from datetime import datetime, timedelta

    moment = datetime.strptime(instant, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_bad_faults_option_is_refused():
    result = _run_sandbox("--port", "0", "--faults", "{not json")
    assert result.returncode == 2
    assert "--faults" in result.stderr


def _run_sandbox(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smile_sandbox", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_port_in_use_is_one_clear_line_and_exit_code_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run_sandbox("--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"smile-sandbox: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_an_unreadable_state_file_is_named_with_exit_code_2(tmp_path):
    result = _run_sandbox("--port", "0", "--state-file", str(tmp_path))  # a folder
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"smile-sandbox: {tmp_path}: Is a directory"]
