"""`/healthz`: is the database reachable, and how long has the oldest queued task waited?"""

import logging
from datetime import datetime

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import BadSignature, SignedPackage

logger = logging.getLogger(__name__)


def oldest_queued_task_at() -> datetime | None:
    """When the oldest task still waiting for a worker was enqueued, or None if none waits."""
    if Conf.ORM:
        # The ORM broker keeps a waiting task's enqueue time in `lock`; a task a worker has
        # taken has its lock pushed into the future.
        waiting = OrmQ.objects.using(Conf.ORM).filter(lock__lte=timezone.now())
        return waiting.order_by("lock").values_list("lock", flat=True).first()
    broker = get_broker()
    # The Redis broker appends with RPUSH and workers pop from the left: index 0 is oldest.
    package = broker.get_connection().lindex(broker.list_key, 0)
    if package is None:
        return None
    try:
        return SignedPackage.loads(package)["started"]
    except (BadSignature, KeyError, TypeError):
        logger.warning("healthz: the oldest queued task could not be read")
        return None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.error("healthz: database unreachable: %s", error)
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    try:
        oldest = oldest_queued_task_at()
    except Exception as error:  # any broker failure means "unhealthy"
        logger.error("healthz: task queue unreachable: %s", error)
        return JsonResponse(
            {"status": "error", "database": "ok", "queue": "unreachable"}, status=503
        )
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return JsonResponse(
        {"status": "ok", "database": "ok", "queue": "ok", "oldest_queued_task_age_s": round(age, 1)}
    )
