"""Print a benchmark's table and merge its keys into bench/latest.json."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import environment

LATEST = Path(__file__).resolve().parent / "latest.json"


def git_commit() -> tuple[str, bool]:
    """HEAD, and whether the working tree has changes (others work in the same checkout)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=environment.ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return git("rev-parse", "HEAD"), bool(git("status", "--porcelain", "--untracked-files=no"))


def record(benchmark: str, keys: dict[str, Any]) -> dict[str, Any]:
    """Merge `keys` into latest.json, with when, on which commit and how many cores."""
    commit, dirty = git_commit()
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    run = {"timestamp": now, "commit": commit, "dirty": dirty, "cores": os.cpu_count()}
    data: dict[str, Any] = {}
    if LATEST.exists():
        try:
            data = json.loads(LATEST.read_text())
        except ValueError:
            data = {}
    data.update(keys)
    data.update(run)
    data.setdefault("runs", {})[benchmark] = run
    temporary = LATEST.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, LATEST)
    return data


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in header], *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def verdict(value: float, target: float, *, at_most: bool) -> str:
    met = value <= target if at_most else value >= target
    return f"{'met' if met else 'MISSED'} ({'<=' if at_most else '>='} {target:g})"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
