"""`{{ instant|local_time }}`: a time as the portal shows it everywhere."""

from __future__ import annotations

import datetime

from django import template

from verifications.history.dates import format_instant

register = template.Library()


@register.filter
def local_time(instant: datetime.datetime | None) -> str:
    return format_instant(instant)
