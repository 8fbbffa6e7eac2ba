"""The address a request came from, seen through the reverse proxies we trust.

Behind a proxy, REMOTE_ADDR is the proxy's address: every applicant would share one rate-limit
bucket, and every stored webhook would carry the proxy's address. Each proxy appends the
address it received the request from to X-Forwarded-For, so behind TRUSTED_PROXY_COUNT proxies
the client is that many entries from the right. Everything left of it was written by the
client and proves nothing: believing it would let anyone pick their own bucket. With 0 (the
default) the header is ignored. django-ratelimit asks this function for every `key="ip"`
(RATELIMIT_IP_META_KEY), and the webhook view stores what it returns.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry our proxies wrote."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < trusted:
        # Fewer entries than proxies: the request went around one of them (or one does not set
        # the header), so no entry is known to come from a proxy of ours. As Werkzeug's
        # ProxyFix does, fall back to the connection's own address.
        return remote
    try:
        # Proxies write bare addresses (nginx's $proxy_add_x_forwarded_for does); anything
        # else in the trusted position is a misconfiguration, not a client to believe.
        return str(ipaddress.ip_address(hops[-trusted]))
    except ValueError:
        return remote
