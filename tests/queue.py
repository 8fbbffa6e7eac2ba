"""Work the django-q2 ORM queue in the test process, as a qcluster worker would.

Most tests run tasks here so they can watch each step; tests/test_worker.py runs a real
`qcluster` process against the same database.
"""

from django.utils.module_loading import import_string
from django_q.models import OrmQ
from django_q.signing import SignedPackage


def queued_task_names() -> list[str]:
    names = []
    for item in OrmQ.objects.order_by("id"):
        func = SignedPackage.loads(item.payload)["func"]
        names.append(func if isinstance(func, str) else f"{func.__module__}.{func.__name__}")
    return names


def run_queued_tasks(rounds: int = 20, limit: int | None = None) -> int:
    """Run queued tasks (and the tasks they enqueue), oldest first; return how many.

    `limit` stops after that many tasks, leaving the rest queued.
    """
    ran = 0
    for _ in range(rounds):
        batch = list(OrmQ.objects.order_by("id"))
        if not batch:
            return ran
        for item in batch:
            if limit is not None and ran >= limit:
                return ran
            if not OrmQ.objects.filter(pk=item.pk).delete()[0]:
                continue
            task = SignedPackage.loads(item.payload)
            func = task["func"]
            if isinstance(func, str):
                func = import_string(func)
            func(*task["args"], **task["kwargs"])
            ran += 1
    raise AssertionError("tasks kept enqueueing tasks")
