"""`import_applicants FILE.csv [--send] [--by USERNAME]`: columns
first_name,last_name,email,phone,reference."""

from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from verifications.imports import BadFile, import_row, read_rows


class Command(BaseCommand):
    help = (
        "Create applicants (and their Smile users) from a CSV with the columns "
        "first_name,last_name,email,phone,reference; print each connect link. "
        "Rows whose reference was imported before are skipped (a missing Smile user or "
        "invite is made now; with --send, an invite only printed before is emailed now)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file, UTF-8, with a header row")
        parser.add_argument(
            "--send",
            action="store_true",
            help="email each new applicant their invite, and those imported before whose "
            "invite was never emailed (their printed link then stops working)",
        )
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="the portal user importing: recorded as who added and invited the applicants, "
            "so the four-eyes rule keeps them from approving these",
        )

    def handle(self, *args, file: str, send: bool, by: str | None = None, **options) -> None:
        importer = None
        if by:
            try:
                importer = get_user_model().objects.get_by_natural_key(by)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No portal user {by!r}; nothing was imported") from None
        try:
            with open(file, "rb") as binary:
                rows = read_rows(binary.read())
        except (OSError, BadFile) as error:
            raise CommandError(f"Cannot import {file}: {error}; nothing was imported") from error
        counts: Counter[str] = Counter()
        for line, row in rows:
            result = import_row(line, row, send=send, created_by=importer)
            counts[result.outcome] += 1
            counts["unsent"] += result.email_failed
            counts["emailed"] += result.emailed
            # Printed (and flushed) row by row: links exist only here, never stored in clear,
            # so a failure further down must not take the ones already made with it.
            text = (
                result.message
                if result.outcome == "error"
                else f"{result.outcome} {result.message}"
            )
            if result.outcome == "error" or result.email_failed:
                self.stderr.write(f"line {result.line}: {text}")
                self.stderr.flush()
            else:
                link = f"  {result.link}" if result.link else ""
                self.stdout.write(f"line {result.line}: {text}{link}")
                self.stdout.flush()
        summary = (
            f"{counts['created']} created, {counts['exists']} already "
            f"imported, {counts['error']} rejected"
        )
        if send:
            emailed = counts["emailed"]
            summary += f" ({emailed or 'no'} invite{'' if emailed == 1 else 's'} emailed)"
        if counts["unsent"]:
            summary += f"; {counts['unsent']} invite(s) not emailed: import again to send them"
        self.stdout.write(summary)
