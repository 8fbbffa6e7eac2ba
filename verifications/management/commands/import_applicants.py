"""`import_applicants FILE.csv [--send]`: columns first_name,last_name,email,phone,reference."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verifications.imports import import_row, read_rows


class Command(BaseCommand):
    help = (
        "Create applicants (and their Smile users) from a CSV with the columns "
        "first_name,last_name,email,phone,reference; print each connect link. "
        "Rows whose reference was imported before are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file, UTF-8, with a header row")
        parser.add_argument(
            "--send", action="store_true", help="email each new applicant their invite"
        )

    def handle(self, *args, file: str, send: bool, **options) -> None:
        try:
            with open(file, encoding="utf-8-sig", newline="") as lines:
                results = [import_row(line, row, send=send) for line, row in read_rows(lines)]
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(f"Cannot import {file}: {error}") from error
        for result in results:
            if result.outcome == "error":
                self.stderr.write(f"line {result.line}: {result.message}")
            else:
                link = f"  {result.link}" if result.link else ""
                self.stdout.write(f"line {result.line}: {result.outcome} {result.message}{link}")
        counts = {
            outcome: sum(r.outcome == outcome for r in results)
            for outcome in ("created", "exists", "error")
        }
        self.stdout.write(
            f"{counts['created']} created, {counts['exists']} already imported, "
            f"{counts['error']} rejected" + (" (invites emailed)" if send else "")
        )
