"""Start and stop the processes a benchmark needs: gunicorn, the Smile sandbox.

Every process is ours (Popen), stopped by its own handle when the benchmark ends or fails.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bench import environment
from tests import processes as test_processes
from tests.processes import free_port, wait_for_http


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int, log: Path) -> Iterator[str]:
    """The portal under gunicorn (sync workers) on a free loopback port; yields its base URL."""
    with log.open("ab") as output, test_processes.gunicorn(env, workers, output) as base_url:
        yield base_url


@contextlib.contextmanager
def sandbox(*, log: Path) -> Iterator[str]:
    """The Smile sandbox in its own process (python -m smile_sandbox); yields its base URL."""
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [environment.PYTHON, "-m", "smile_sandbox", "--port", str(port), "--quiet"],
            cwd=environment.ROOT,
            env={
                **environment.portal_env("bench_unused"),
                "SMILE_SANDBOX_STATE_FILE": "",
                "SMILE_SANDBOX_WEBHOOK_URL": "",
            },
            stdout=output,
            stderr=output,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base_url + "/_sandbox/people", timeout=60, process=process)
        yield base_url
    finally:
        stop(process)
