"""Putting tasks on the django-q2 queue, through one broker per process."""

from __future__ import annotations

import functools
from typing import Any

from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task


@functools.cache
def broker() -> Broker:
    # `async_task` builds a new broker per call unless given one: with Redis that is a new
    # client, pool and TCP connection per task, about half of a webhook's acknowledgement
    # time (bench/README.md). One per process is enough: redis-py's pool is thread-safe and
    # starts afresh in a forked child, and the ORM broker holds no connection of its own.
    return get_broker()


def enqueue(func: str, *args: Any, **options: Any) -> str:
    """Queue `func(*args)` for the worker; `options` are django-q2's (group, task_name…)."""
    return async_task(func, *args, broker=broker(), **options)
