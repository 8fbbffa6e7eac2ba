"""`python -m smile_sandbox`: run the sandbox until Ctrl-C or SIGTERM.

Every option can also come from the environment (the flag wins):

    --host                 SMILE_SANDBOX_HOST          127.0.0.1
    --port                 SMILE_SANDBOX_PORT          8765
    --webhook-url          SMILE_SANDBOX_WEBHOOK_URL   none: events are logged, not sent
    --webhook-secret       SMILE_WEBHOOK_SECRET        none: webhooks go unsigned
    --state-file           SMILE_SANDBOX_STATE_FILE    none: state lives in memory only
    --faults JSON          SMILE_SANDBOX_FAULTS        none (see smile_sandbox/faults.py)
    --token-ttl SECONDS    SMILE_SANDBOX_TOKEN_TTL     18000 (5 h)
    --webhook-retry-delay  SMILE_SANDBOX_WEBHOOK_RETRY_DELAY   2
    --webhook-timeout      SMILE_SANDBOX_WEBHOOK_TIMEOUT       10
    --today YYYY-MM-DD     SMILE_SANDBOX_TODAY         the real date (records end last month)

API credentials: SMILE_CLIENT_ID / SMILE_CLIENT_SECRET (default sandbox-client-id /
sandbox-client-secret).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from datetime import date
from types import FrameType

from smile_sandbox.sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TOKEN_TTL,
    Config,
)
from smile_sandbox.server import SandboxServer


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "")
    return value if value.strip() else default


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m smile_sandbox", description="Offline stand-in for Smile's sandbox."
    )
    parser.add_argument("--host", default=_env("SMILE_SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("SMILE_SANDBOX_PORT", "8765")))
    parser.add_argument("--webhook-url", default=_env("SMILE_SANDBOX_WEBHOOK_URL"))
    parser.add_argument("--webhook-secret", default=_env("SMILE_WEBHOOK_SECRET"))
    parser.add_argument("--state-file", default=_env("SMILE_SANDBOX_STATE_FILE"))
    parser.add_argument("--faults", default=_env("SMILE_SANDBOX_FAULTS"), help="JSON object")
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=float(_env("SMILE_SANDBOX_TOKEN_TTL", str(DEFAULT_TOKEN_TTL))),
    )
    parser.add_argument(
        "--webhook-retry-delay",
        type=float,
        default=float(_env("SMILE_SANDBOX_WEBHOOK_RETRY_DELAY", "2")),
    )
    parser.add_argument(
        "--webhook-timeout", type=float, default=float(_env("SMILE_SANDBOX_WEBHOOK_TIMEOUT", "10"))
    )
    parser.add_argument("--today", default=_env("SMILE_SANDBOX_TODAY"), help="YYYY-MM-DD")
    parser.add_argument("--quiet", action="store_true", help="no per-request log lines")
    args = parser.parse_args(argv)
    try:
        faults = json.loads(args.faults) if args.faults else {}
    except ValueError as error:
        parser.error(f"--faults is not JSON: {error}")
    try:
        today = date.fromisoformat(args.today) if args.today else None
    except ValueError:
        parser.error("--today must be YYYY-MM-DD")
    return Config(
        host=args.host,
        port=args.port,
        client_id=_env("SMILE_CLIENT_ID", DEFAULT_CLIENT_ID),
        client_secret=_env("SMILE_CLIENT_SECRET", DEFAULT_CLIENT_SECRET),
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        state_file=args.state_file,
        faults=faults,
        token_ttl=args.token_ttl,
        webhook_retry_delay=args.webhook_retry_delay,
        webhook_timeout=args.webhook_timeout,
        today=today,
        log_requests=not args.quiet,
    )


def _stop(signum: int, frame: FrameType | None) -> None:
    # Unwinds serve_forever like Ctrl-C does, so the finally-blocks persist state.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    try:
        server = SandboxServer(config)
    except ValueError as error:  # a bad --faults spec or state file
        print(f"smile-sandbox: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        reason = error.strerror or str(error)
        if error.filename:  # the state file cannot be read
            print(f"smile-sandbox: {error.filename}: {reason}", file=sys.stderr)
        else:  # the port is taken, or the host is not one of this machine's addresses
            where = f"{config.host}:{config.port}"
            print(f"smile-sandbox: cannot listen on {where}: {reason}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    print(
        f"smile-sandbox: serving on {server.base_url} (Open API {server.base_url}/v1, "
        f"widget {server.base_url}/v2/smile.v2.js, webhooks to {config.webhook_url or 'nowhere'})",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    print("smile-sandbox: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
