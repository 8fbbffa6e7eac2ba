from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class VerificationsConfig(AppConfig):
    name = "verifications"
    verbose_name = "Verifications"

    def ready(self) -> None:
        checks.register(check_smile_settings, checks.Tags.security, deploy=False)


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
