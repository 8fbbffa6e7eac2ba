"""The applicant's side of link-connect: user tokens for Wink, and what its callbacks mean."""

from __future__ import annotations

import datetime
import hashlib
import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from verifications import background, invites
from verifications.linked_accounts import refresh_linked_account
from verifications.models import ConnectEvent, Invite, SyncRun
from verifications.smile import SmileClient, SmileError
from verifications.smile_users import ensure_smile_user

logger = logging.getLogger(__name__)

MAX_EVENT_BYTES = 8 * 1024


class BadCallback(ValueError):
    """What the page posted is not a widget callback we accept."""


def user_token_for(invite: Invite) -> str:
    """A fresh Smile user token to open Wink for this invite's applicant.

    Smile's tokens are single use and each widget launch needs its own (smile-api.md), so
    nothing is cached: the page's request on load and every `onTokenExpired` mint one
    (never the page's GET, which link previews make too: views.connect_page). A Smile user
    that failed to be created earlier is created now.
    """
    with SmileClient.from_settings() as client:
        smile_user = ensure_smile_user(invite.applicant, client=client)
        return client.create_token(smile_user.smile_id).access_token


def record_callback(invite: Invite, payload: Any) -> ConnectEvent:
    """Store one widget callback the page reported, and act on the ones that matter."""
    if not isinstance(payload, dict):
        raise BadCallback("expected a JSON object")
    name, data = payload.get("name"), payload.get("data", {})
    if name not in ConnectEvent.Name.values:
        raise BadCallback(f"unknown callback {name!r:.40}")
    if not isinstance(data, dict):
        raise BadCallback("data must be an object")
    event = ConnectEvent.objects.create(invite=invite, name=name, data=data)
    if name == ConnectEvent.Name.ACCOUNT_CONNECTED:
        _account_connected(invite, data)
    elif name == ConnectEvent.Name.CLOSE and data.get("reason") == "exit":
        invite.refresh_from_db(fields=["connected_at", "completed_at"])
        invites.mark_completed(invite)
    return event


def reply_to(event: ConnectEvent) -> dict[str, str]:
    """What the page is told back: for a connection, the provider's name to list it by."""
    reply = {"recorded": event.name}
    if event.name == ConnectEvent.Name.ACCOUNT_CONNECTED:
        reply["providerName"] = provider_name(event.data.get("providerId"))
    return reply


PROVIDER_NAME_SECONDS = 24 * 3600


def provider_name(provider_id: Any) -> str:
    """The provider's name as the widget showed it ("Social Security System (SSS)"); "" if unknown.

    The widget's onAccountConnected gives only the id (`sss_ph`), which means nothing to an
    applicant. Smile's provider list is long and changes, so we ask Smile (once a day per
    provider) rather than keep a table.
    """
    if not isinstance(provider_id, str) or not provider_id:
        return ""
    key = "provider-name:" + hashlib.sha256(provider_id.encode()).hexdigest()
    if name := cache.get(key):
        return name
    try:
        with SmileClient.from_settings() as client:
            name = client.get_provider(provider_id).name
    except SmileError as error:  # the page then shows the id: still better than nothing
        logger.info("provider %r: no name from Smile: %s", provider_id[:40], error)
        return ""
    if name:
        cache.set(key, name, PROVIDER_NAME_SECONDS)
    return name


# The widget reports each connection once, but anyone holding the link can post the callback
# again and again: each would cost a Smile GET and a full sync against Smile's rate limit.
# Webhooks remain the source of truth, so one sync a minute per account from here is plenty.
SYNC_AFTER_CONNECT_EVERY = datetime.timedelta(minutes=1)


def _account_connected(invite: Invite, data: dict) -> None:
    account_id = data.get("accountId")
    if not isinstance(account_id, str) or not account_id:
        raise BadCallback("onAccountConnected without an accountId")
    if _synced_lately(invite, account_id):
        logger.info("invite %s: account %s synced a moment ago; not again", invite.pk, account_id)
        return
    # The browser's word is checked with Smile: the account must be this applicant's.
    try:
        with SmileClient.from_settings() as client:
            account = refresh_linked_account(invite.applicant, account_id, client=client)
    except SmileError as error:
        # Webhooks remain the source of truth; they will record the account when they come.
        logger.warning("invite %s: could not confirm account %s: %s", invite.pk, account_id, error)
        return
    transaction.on_commit(
        lambda: background.enqueue(
            "verifications.tasks.sync_after_connect", account.pk, group="connect"
        )
    )


def _synced_lately(invite: Invite, account_id: str) -> bool:
    """A sync of this account started, or one was asked for from here, within the minute."""
    since = timezone.now() - SYNC_AFTER_CONNECT_EVERY
    started = SyncRun.objects.filter(
        account__applicant_id=invite.applicant_id,
        account__smile_id=account_id,
        started_at__gte=since,
    ).exists()
    if started:
        return True
    # A queued sync has no SyncRun yet. cache.add is atomic, so of callbacks racing within
    # the minute one wins; a cache that is down (None, not False) skips nothing.
    key = (
        "connect-sync:" + hashlib.sha256(f"{invite.applicant_id}:{account_id}".encode()).hexdigest()
    )
    return cache.add(key, 1, timeout=int(SYNC_AFTER_CONNECT_EVERY.total_seconds())) is False


def content_security_policy() -> str:
    """Scripts and styles only from us and the widget; the widget may call its API host."""
    widget = _origin(settings.SMILE_WINK_SCRIPT_URL)
    link_api = _origin(settings.SMILE_LINK_API_URL)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {widget}",
            f"style-src 'self' {widget}",
            f"connect-src 'self' {link_api} {widget}",
            f"frame-src {widget} {link_api}",
            # Provider logos come from Smile's CDN; images cannot run code.
            "img-src 'self' data: https:",
            f"font-src 'self' {widget}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
