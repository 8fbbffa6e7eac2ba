"""`replay_webhooks [--failed] [--since …] [--id …]`: process stored events again."""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from verifications import webhook_replay
from verifications.models import WebhookEvent


class Command(BaseCommand):
    help = "Process stored Smile webhook events again (all handled types, or a selection)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--failed", action="store_true", help="only events that failed")
        parser.add_argument("--since", help="only events received since (YYYY-MM-DD or ISO time)")
        parser.add_argument(
            "--id",
            action="append",
            default=[],
            dest="ids",
            help="Smile event id (et-…); repeatable",
        )
        parser.add_argument("--now", action="store_true", help="process here instead of enqueueing")

    def handle(
        self, *args, failed: bool, since: str | None, ids: list[str], now: bool, **options
    ) -> None:
        events = WebhookEvent.objects.all()
        if failed:
            events = events.filter(status=WebhookEvent.Status.FAILED)
        if since:
            events = events.filter(received_at__gte=_instant(since))
        if ids:
            events = events.filter(smile_event_id__in=ids)
            missing = set(ids) - set(events.values_list("smile_event_id", flat=True))
            if missing:
                raise CommandError(f"No stored event has id {', '.join(sorted(missing))}.")
        results = webhook_replay.replay(events, run_now=now)
        for event, outcome in results:
            self.stdout.write(f"{event.smile_event_id} {event.event_type}: {outcome}")
        self.stdout.write(f"{len(results)} event(s) replayed.")


def _instant(value: str) -> datetime.datetime:
    """`--since` as an aware instant; a naive one is in TIME_ZONE."""
    try:
        # Django's parsers return None for what is not shaped like a date, and raise
        # ValueError for what is shaped like one but does not exist (2024-13-01).
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = datetime.datetime.combine(day, datetime.time.min)
    except ValueError as error:
        raise CommandError(f"--since {value!r} is not a real date or time: {error}.") from None
    if moment is None:
        raise CommandError(f"--since {value!r} is not a date (YYYY-MM-DD) or an ISO time.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
