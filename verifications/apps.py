from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class VerificationsConfig(AppConfig):
    name = "verifications"
    verbose_name = "Verifications"

    def ready(self) -> None:
        checks.register(check_smile_settings, checks.Tags.security)
        checks.register(check_shared_cache, checks.Tags.caches, deploy=True)
        checks.register(check_site_url, checks.Tags.security, deploy=True)


def check_smile_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when production mode lacks what talking to Smile needs."""
    if settings.SMILE_MODE != "production":
        return []
    messages = []
    if not (settings.SMILE_CLIENT_ID and settings.SMILE_CLIENT_SECRET):
        messages.append(
            checks.Warning(
                "SMILE_MODE is production but SMILE_CLIENT_ID or SMILE_CLIENT_SECRET is empty.",
                hint="Set both from Smile's dashboard; until then no applicant can be created.",
                id="verifications.W001",
            )
        )
    if not settings.SMILE_WEBHOOK_SECRET:
        messages.append(
            checks.Warning(
                "SMILE_MODE is production but SMILE_WEBHOOK_SECRET is empty: "
                "every webhook from Smile will be refused.",
                hint="Set it to the secret of the webhook subscription you created at Smile.",
                id="verifications.W002",
            )
        )
    return messages


def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Rate limits need a cache every web process shares."""
    if settings.DEBUG or settings.REDIS_URL:
        return []
    return [
        checks.Warning(
            "REDIS_URL is not set: rate limits are counted per web process.",
            hint="Set REDIS_URL in production; it is the task broker and the shared cache.",
            id="verifications.W003",
        )
    ]


def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Invite links are built from SITE_URL: applicants cannot open a loopback or plain-HTTP one.

    Its default serves `make run`; a deployment that forgets to set it would start and work
    in the admin (same-origin), and only applicants would find their links dead.
    """
    if settings.DEBUG:
        return []
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme == "https" and parts.hostname not in (None, "localhost", "127.0.0.1", "::1"):
        return []
    return [
        checks.Warning(
            f"SITE_URL is {settings.SITE_URL!r}: invite emails would carry links applicants "
            "cannot open.",
            hint="Set SITE_URL to the portal's public https address, e.g. https://verify.example.com.",
            id="verifications.W004",
        )
    ]
