"""The benchmarks' own PostgreSQL databases: created, migrated, emptied, dropped.

Every database a benchmark creates is named bench_*; `python -m bench clean` drops them all.
"""

from __future__ import annotations

import subprocess

import psycopg
from psycopg import sql

from bench import environment

PREFIX = "bench_"


def _admin() -> psycopg.Connection:
    # CREATE/DROP DATABASE cannot run in a transaction.
    return psycopg.connect(environment.database_url("postgres"), autocommit=True)


def connect(name: str) -> psycopg.Connection:
    return psycopg.connect(environment.database_url(name), autocommit=True)


def exists(name: str) -> bool:
    with _admin() as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def create(name: str) -> bool:
    """Create the database if missing; True when it was created now."""
    _check(name)
    if exists(name):
        return False
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop(name: str) -> None:
    _check(name)
    with _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def all_bench_databases() -> list[str]:
    with _admin() as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname",
            [PREFIX.replace("_", r"\_") + "%"],
        ).fetchall()
    return [row[0] for row in rows]


def manage(name: str, *args: str) -> str:
    """Run `manage.py ARGS` against database `name` (bench settings); its output."""
    done = subprocess.run(
        [environment.PYTHON, "manage.py", *args],
        cwd=environment.ROOT,
        env=environment.portal_env(name),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} on {name} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(name: str) -> None:
    """Create (if needed) and migrate: a database the current code can run on."""
    create(name)
    manage(name, "migrate", "--noinput")


def truncate(name: str, tables: list[str]) -> None:
    with connect(name) as conn:
        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(table) for table in tables)
            )
        )


def _check(name: str) -> None:
    # Never anyone else's database (`test`, `test_test`, the e2e one).
    if not name.startswith(PREFIX):
        raise ValueError(f"benchmarks only touch databases named {PREFIX}*, not {name!r}")
