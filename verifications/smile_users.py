"""Each applicant gets one Smile user (`POST /users`), created once, retried if it failed."""

from __future__ import annotations

import logging

from django.db import transaction

from verifications.models import Applicant, SmileUser
from verifications.smile import SmileClient, SmileError

logger = logging.getLogger(__name__)


def ensure_smile_user(applicant: Applicant, *, client: SmileClient | None = None) -> SmileUser:
    """The applicant's Smile user, creating it at Smile if it does not exist yet.

    A failure is kept on the applicant (`smile_user_error`, shown in the admin as "needs
    retry") and raised; the applicant itself stays saved.
    """
    existing = SmileUser.objects.filter(applicant=applicant).first()
    if existing:
        return existing
    own_client = client is None
    client = client or SmileClient.from_settings()
    try:
        # Our applicant id travels too, so a Smile user can be traced back even without a
        # reference; Smile allows five ASCII string pairs (smile-api.md).
        user, _token = client.create_user(
            reference=applicant.external_reference or f"applicant-{applicant.pk}",
            applicant=str(applicant.pk),
        )
    except SmileError as error:
        Applicant.objects.filter(pk=applicant.pk).update(smile_user_error=str(error))
        applicant.smile_user_error = str(error)
        logger.warning("creating the Smile user of applicant %s failed: %s", applicant.pk, error)
        raise
    finally:
        if own_client:
            client.close()
    with transaction.atomic():
        smile_user, _ = SmileUser.objects.get_or_create(
            applicant=applicant,
            defaults={
                "smile_id": user.id,
                "external_metadata": user.external_metadata,
                "smile_created_at": user.created_at,
            },
        )
        Applicant.objects.filter(pk=applicant.pk).update(smile_user_error="")
    applicant.smile_user_error = ""
    return smile_user
