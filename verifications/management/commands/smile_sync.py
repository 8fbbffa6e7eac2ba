"""`smile_sync ACCOUNT_ID`: pull every record of one linked account now; print counts per kind."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verifications import sync
from verifications.models import LinkedAccount, SyncRun


class Command(BaseCommand):
    help = "Pull every record of one linked account (Smile account id) now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_id", help="Smile account id (a-…) of a linked account")

    def handle(self, *args, account_id: str, **options) -> None:
        account = (
            LinkedAccount.objects.select_related("applicant__smile_user")
            .filter(smile_id=account_id)
            .first()
        )
        if account is None:
            raise CommandError(f"No linked account has Smile id {account_id!r}.")
        try:
            run = sync.sync_account(account, trigger=SyncRun.Trigger.COMMAND)
        except sync.SyncFailed as failure:
            raise CommandError(f"Sync failed: {failure.run.error}") from failure
        self.stdout.write(f"Synced {account_id} ({account.provider_id}) in {run.duration}:")
        for kind, counts in run.counts.items():
            self.stdout.write(
                f"  {kind.lower():<14} {counts['created']:>5} created  "
                f"{counts['updated']:>5} updated  {counts['unchanged']:>5} unchanged"
            )
