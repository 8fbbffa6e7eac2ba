"""Public endpoints: the connect page and its callbacks, and Smile's webhook.

Views stay small; the work is in the workflow modules (connect, invites, webhooks).
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit

from verifications import connect, invites, webhooks
from verifications.client_ip import client_ip
from verifications.models import Invite, WebhookRejection
from verifications.smile import SmileError

logger = logging.getLogger(__name__)


def rate_limited(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    """django-ratelimit's blocked view (RATELIMIT_VIEW): 429, with a hint when to come back.

    The applicant's connect page gets a page they can read; the widget's callbacks, the
    webhook and anything asking for JSON get JSON.
    """
    match = request.resolver_match
    if match is not None and match.view_name == "verifications:connect":
        context = {"lender": settings.LENDER_NAME}
        response = render(request, "verifications/connect/rate_limited.html", context, status=429)
    elif request.headers.get("Accept", "").startswith(
        "application/json"
    ) or request.path.startswith(("/webhooks/", "/connect/")):
        response = JsonResponse({"error": "Too many requests; try again in a minute."}, status=429)
    else:
        response = HttpResponse("Too many requests; try again in a minute.", status=429)
    response["Retry-After"] = "60"
    return response


# Smile sends every event from one address and resends a refused one only twice, seconds
# apart (smile-api.md): a per-address limit on signed events would lose events in any burst
# past it. So only refusals count: an address sending more unsigned or wrongly signed requests
# than this is answered 429, without a log line or a counter update each, until the minute
# ends. Checking a signature is cheap (an HMAC of a body of at most DATA_UPLOAD_MAX_MEMORY_SIZE).
WEBHOOK_REFUSALS_PER_IP = "60/m"


@csrf_exempt  # Smile signs its requests; there is no browser session to protect here.
@require_POST
def smile_webhook(request: HttpRequest) -> JsonResponse:
    """Verify, store and acknowledge a Smile event; processing happens in a worker."""
    # The client behind our proxies, not a proxy; None over a Unix socket (no address at all).
    remote_ip = client_ip(request) or None
    try:
        body = request.body
    except RequestDataTooBig:
        logger.warning("webhook from %s refused: body too large", remote_ip)
        return JsonResponse({"error": "The body is too large."}, status=413)
    signature = request.headers.get("Smile-Signature")
    if not signature or not webhooks.signature_is_valid(body, signature):
        return _refuse_webhook(request, remote_ip, signed=bool(signature))
    try:
        event, first = webhooks.store_event(body=body, headers=request.headers, remote_ip=remote_ip)
    except webhooks.InvalidEvent as error:
        logger.warning("webhook from %s refused: %s", remote_ip, error)
        return JsonResponse({"error": f"Not a Smile event: {error}."}, status=400)
    return JsonResponse({"received": event.smile_event_id, "duplicate": not first})


def _refuse_webhook(request: HttpRequest, remote_ip: str | None, *, signed: bool) -> JsonResponse:
    usage = get_usage(
        request, group="webhook:refused", key="ip", rate=WEBHOOK_REFUSALS_PER_IP, increment=True
    )
    if usage and usage["should_limit"]:
        if usage["count"] == usage["limit"] + 1:
            logger.warning("webhook from %s: too many refused, answering 429", remote_ip)
        return rate_limited(request, None)
    reason = (
        WebhookRejection.Reason.BAD_SIGNATURE
        if signed
        else WebhookRejection.Reason.MISSING_SIGNATURE
    )
    webhooks.record_rejection(reason)
    logger.warning("webhook from %s refused: %s", remote_ip, reason.label.lower())
    return JsonResponse({"error": "Invalid or missing Smile-Signature."}, status=401)


# --- Link-connect: the applicant's page and the widget's callbacks --------------------------

# One budget for the page, its token refreshes and its callbacks (a connection fires a few
# dozen UI events); per address, and per invite whatever the address.
CONNECT_RATE_PER_IP = "120/m"
CONNECT_RATE_PER_INVITE = "120/m"


def invite_key(group: str, request: HttpRequest) -> str:
    """Rate-limit key per invite: a hash, so the token itself never lands in the cache."""
    return invites.hash_token(request.resolver_match.kwargs.get("token", ""))


def _limited(view):
    per_invite = ratelimit(
        group="connect:invite", key=invite_key, rate=CONNECT_RATE_PER_INVITE, method=ALL, block=True
    )
    per_ip = ratelimit(
        group="connect:ip", key="ip", rate=CONNECT_RATE_PER_IP, method=ALL, block=True
    )
    return per_ip(per_invite(view))


def _unusable(request: HttpRequest, invite: Invite | None, *, json: bool = False) -> HttpResponse:
    """Why a link does not work, without saying who it was for."""
    reason = invite.unusable_reason() if invite is not None else "unknown"
    status = 404 if invite is None else 410
    if json:
        return JsonResponse({"error": f"This link is {reason}."}, status=status)
    context = {"reason": reason, "lender": settings.LENDER_NAME}
    return render(request, "verifications/connect/unusable.html", context, status=status)


@_limited
@require_GET
@never_cache
@ensure_csrf_cookie
def connect_page(request: HttpRequest, token: str) -> HttpResponse:
    """The page only: no Smile token and no "opened" here, so a GET changes nothing.

    Chat apps (WhatsApp, Viber, Messenger) fetch a link to draw its preview, and mail
    scanners fetch links in emails; neither is the applicant. The page's script asks for
    the widget's token on load (`connect_token`), and that request marks the invite opened.
    """
    invite = invites.find_invite(token)
    if invite is None or not invites.is_usable(invite):
        return _unusable(request, invite)
    config = {
        "apiHost": settings.SMILE_LINK_API_URL,
        "templateId": settings.SMILE_TEMPLATE_ID,
        "companyName": settings.LENDER_NAME,
        "eventsUrl": reverse("verifications:connect_events", args=[token]),
        "tokenUrl": reverse("verifications:connect_token", args=[token]),
    }
    context = {
        "config": config,
        "lender": settings.LENDER_NAME,
        "applicant_first_name": invite.applicant.first_name,
        "script_url": settings.SMILE_WINK_SCRIPT_URL,
        "expires_at": invite.expires_at,
    }
    response = render(request, "verifications/connect/page.html", context)
    response["Content-Security-Policy"] = connect.content_security_policy()
    return response


@_limited
@require_POST
@never_cache
def connect_token(request: HttpRequest, token: str) -> JsonResponse:
    """A fresh user token: the page's script asks on load, and again on onTokenExpired.

    The first one is how we know the applicant opened the link. We assume that whatever
    sends it ran the page's script in a browser that kept our CSRF cookie: preview bots and
    link scanners fetch the HTML and stop there. A scanner that runs pages in a full browser
    would still count as opened; we know of no signal that tells it from a person short of
    a click, and waiting for the click would remind applicants who read the page.
    """
    invite = invites.find_invite(token)
    if invite is None or not invites.is_usable(invite):
        return _unusable(request, invite, json=True)
    invites.mark_opened(invite)
    try:
        return JsonResponse({"userToken": connect.user_token_for(invite)})
    except SmileError as error:
        logger.warning("new user token for invite %s: %s", invite.pk, error)
        return JsonResponse({"error": "Verification is unavailable; try again soon."}, status=503)


@_limited
@require_POST
def connect_events(request: HttpRequest, token: str) -> JsonResponse:
    """Record a callback the widget fired on the connect page."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return JsonResponse({"error": "The Content-Length header is not a number."}, status=400)
    if declared > connect.MAX_EVENT_BYTES:
        return JsonResponse({"error": "The event is too large."}, status=413)
    invite = invites.find_invite(token)
    if invite is None or not invites.is_usable(invite):
        return _unusable(request, invite, json=True)
    body = request.body
    if len(body) > connect.MAX_EVENT_BYTES:
        return JsonResponse({"error": "The event is too large."}, status=413)
    try:
        payload = json.loads(body)
        event = connect.record_callback(invite, payload)
    except (ValueError, connect.BadCallback) as error:
        return JsonResponse({"error": f"Not a widget callback: {error}."}, status=400)
    return JsonResponse(connect.reply_to(event))
