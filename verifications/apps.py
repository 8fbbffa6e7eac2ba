from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class VerificationsConfig(AppConfig):
    name = "verifications"
    verbose_name = "Verifications"

    def ready(self) -> None:
        checks.register(check_smile_settings, checks.Tags.security)
        checks.register(check_shared_cache, checks.Tags.caches, deploy=True)


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
