"""`python -m bench [webhook_ack|sync_rate|admin_scale|all|clean] [options]`."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

from bench import environment

BENCHMARKS = ("webhook_ack", "sync_rate", "admin_scale")
KEEP_LOG = "BENCH_KEEP_LOG"
USAGE = f"usage: python -m bench [{'|'.join(BENCHMARKS)}|all|clean] [options]"


def run_all() -> int:
    # One process per benchmark: each starts Django on its own database.
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        done = subprocess.run(
            [environment.PYTHON, "-m", "bench", name],
            cwd=environment.ROOT,
            env={**os.environ, KEEP_LOG: "1"},
        )
        if done.returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def clean() -> int:
    """Drop every bench_* database and empty Redis database 7."""
    import redis

    from bench import postgres

    for name in postgres.all_bench_databases():
        postgres.drop(name)
        print(f"dropped {name}")
    redis.from_url(environment.REDIS_URL).flushdb()
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name == "clean":
        return clean()
    if name != "all" and name not in BENCHMARKS:
        print(USAGE, file=sys.stderr)
        return 2
    if not os.environ.get(KEEP_LOG):
        # The portal's log (INFO) of this invocation only; `all` keeps it across benchmarks.
        environment.LOG_FILE.write_text("")
    if name == "all":
        return run_all()
    importlib.import_module(f"bench.{name}").main(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
