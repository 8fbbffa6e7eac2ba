"""Admin endpoints under /_sandbox/ for tests, benchmarks and manual checks.

No authentication: the sandbox is a local development tool bound to loopback by default and
holds nothing but mock data. Never expose it on a shared network.

    GET    /_sandbox/faults                   -> the active faults
    POST   /_sandbox/faults                   {name: spec, ...} -> the active faults (faults.py)
    DELETE /_sandbox/faults                   -> {}
    POST   /_sandbox/connect                  {userId, providerId, login, password, code?="1234"}
                                              -> {account}: the widget's flow, server-side
    POST   /_sandbox/webhook-config           {url?, secret?} -> {url, hasSecret}
    GET    /_sandbox/webhooks                 -> {url, deliveries: [...], events: [...]}
    POST   /_sandbox/tokens/expire            -> {expired: n}: every user token expires now
    POST   /_sandbox/accounts/{id}/refresh    -> {account, added: {contributions: [...]}}
    GET    /_sandbox/records?sourceId=a-...   -> {identities: [...], employments: [...], ...}
    GET    /_sandbox/people                   -> the sandbox logins, for people trying it by hand
"""

from __future__ import annotations

from smile_sandbox import connect
from smile_sandbox.faults import FaultError
from smile_sandbox.open_api import SORT_KEYS
from smile_sandbox.people import MFA_CODE, PEOPLE
from smile_sandbox.sandbox import Sandbox
from smile_sandbox.web import ApiError, Request, Response, Router, envelope


class AdminApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.router = Router()
        add = self.router.add
        add("/faults", "GET", self.get_faults)
        add("/faults", "POST", self.set_faults)
        add("/faults", "DELETE", self.clear_faults)
        add("/connect", "POST", self.connect)
        add("/webhook-config", "POST", self.webhook_config)
        add("/webhooks", "GET", self.webhooks)
        add("/tokens/expire", "POST", self.expire_tokens)
        add("/accounts/{id}/refresh", "POST", self.refresh)
        add("/records", "GET", self.records)
        add("/people", "GET", self.people)

    def handle(self, request: Request, path: str) -> Response:
        return self.router.dispatch(request, path)

    def get_faults(self, request: Request) -> Response:
        return envelope(self.sandbox.faults.snapshot())

    def set_faults(self, request: Request) -> Response:
        try:
            active = self.sandbox.faults.set(request.json(required=True))
        except FaultError as error:
            raise ApiError(400, str(error)) from None
        return envelope(active)

    def clear_faults(self, request: Request) -> Response:
        self.sandbox.faults.clear()
        return envelope({})

    def connect(self, request: Request) -> Response:
        body = request.json(required=True)
        for name in ("userId", "providerId"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise ApiError(400, f"{name} is required.")
        account, _created = connect.login(
            self.sandbox,
            user_id=body["userId"],
            provider_id=body["providerId"],
            login=body.get("login"),
            password=body.get("password"),
        )
        if account["connectionStatus"] == "AWAITING_MFA":
            account = connect.verify(
                self.sandbox, account_id=account["id"], code=body.get("code", MFA_CODE)
            )
        return envelope({"account": account})

    def webhook_config(self, request: Request) -> Response:
        body = request.json(required=True)
        webhooks = self.sandbox.webhooks
        url = body.get("url", webhooks.url)
        secret = body.get("secret", webhooks.secret)
        webhooks.configure(url, secret)
        return envelope({"url": webhooks.url, "hasSecret": webhooks.has_secret})

    def webhooks(self, request: Request) -> Response:
        webhooks = self.sandbox.webhooks
        return envelope(
            {"url": webhooks.url, "deliveries": webhooks.log, "events": webhooks.events}
        )

    def expire_tokens(self, request: Request) -> Response:
        return envelope({"expired": self.sandbox.expire_tokens()})

    def refresh(self, request: Request) -> Response:
        return envelope(connect.refresh(self.sandbox, account_id=request.params["id"]))

    def records(self, request: Request) -> Response:
        source_id = request.arg("sourceId")
        if not source_id:
            raise ApiError(400, "sourceId is required.")
        if self.sandbox.store.account(source_id) is None:
            raise ApiError(404, f"Account {source_id} does not exist.")
        by_kind = self.sandbox.store.account_records(source_id)
        return envelope(
            {kind: sorted(items, key=SORT_KEYS[kind]) for kind, items in by_kind.items()}
        )

    def people(self, request: Request) -> Response:
        return envelope(
            {
                "mfaCode": MFA_CODE,
                "people": [
                    {
                        "login": person.key,
                        "email": person.email,
                        "phone": person.phone,
                        "password": person.password,
                        "fullName": person.identity["fullName"],
                        "providersWithHistory": person.providers_with_history(),
                    }
                    for person in PEOPLE.values()
                ],
            }
        )
