"""The Link API under /link/v1: what the widget calls with the user token (its `apiHost`).

Smile's real Link API is private; these routes are ours, shaped for the stand-in widget:

    GET    /link/v1/session                 -> {userId, mode, expiresAt, providers, accounts}
    GET    /link/v1/accounts                -> {accounts}  (the user's, for a widget's refresh)
    POST   /link/v1/accounts                {providerId, login, password}
                                            -> 201 {account, created: true}, or 200 {account,
                                               created: false} when it retried the user's
                                               existing account on that provider
    POST   /link/v1/accounts/{id}/mfa       {code} -> 200 {account}
    DELETE /link/v1/accounts/{id}           -> 200 {account}  (revoked, DISCONNECTED)

Every call needs `Authorization: Bearer <userToken>`; an unknown or expired token is 401
INVALID_TOKEN. `GET /session` is the widget's launch: a token launches one widget only (user
tokens are single use), a second launch gets the same 401. A wrong password or code is not
an HTTP error: the account comes back with connectionStatus ERROR and connection.errorCode
INVALID_CREDENTIALS / INVALID_MFA. CORS is open to any origin: the widget runs on the
portal's pages.
"""

from __future__ import annotations

from typing import Any

from smile_sandbox import connect
from smile_sandbox.providers import PROVIDERS
from smile_sandbox.sandbox import Sandbox, iso
from smile_sandbox.web import ApiError, Request, Response, Router, envelope

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


class LinkApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.router = Router()
        self.router.add("/session", "GET", self.session)
        self.router.add("/accounts", "GET", self.list_accounts)
        self.router.add("/accounts", "POST", self.create_account)
        self.router.add("/accounts/{id}/mfa", "POST", self.verify)
        self.router.add("/accounts/{id}", "DELETE", self.revoke)

    def handle(self, request: Request, path: str) -> Response:
        if request.method == "OPTIONS":
            if self.router.match(path) is None:
                raise ApiError(404, f"No resource at {request.path}.")
            return Response(204, b"", {})
        return self.router.dispatch(request, path)

    def _bearer(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Authorization must be Bearer <userToken>.")
        return token.strip()

    def _user(self, request: Request) -> tuple[str, dict[str, Any]]:
        return self.sandbox.token_user(self._bearer(request))

    def _accounts(self, user_id: str) -> list[dict[str, Any]]:
        return [
            account for account in self.sandbox.store.all_accounts() if account["userId"] == user_id
        ]

    def session(self, request: Request) -> Response:
        user_id, token = self.sandbox.launch_widget(self._bearer(request))
        return envelope(
            {
                "userId": user_id,
                "mode": token["mode"],
                "expiresAt": iso(token["expiresAt"]),
                "providers": [dict(provider) for provider in PROVIDERS.values()],
                "accounts": self._accounts(user_id),
            }
        )

    def list_accounts(self, request: Request) -> Response:
        user_id, _ = self._user(request)
        return envelope({"accounts": self._accounts(user_id)})

    def create_account(self, request: Request) -> Response:
        user_id, _ = self._user(request)
        body = request.json(required=True)
        provider_id = body.get("providerId")
        if not isinstance(provider_id, str) or not provider_id:
            raise ApiError(400, "providerId is required.")
        account, created = connect.login(
            self.sandbox,
            user_id=user_id,
            provider_id=provider_id,
            login=body.get("login"),
            password=body.get("password"),
        )
        return envelope({"account": account, "created": created}, status=201 if created else 200)

    def verify(self, request: Request) -> Response:
        user_id, _ = self._user(request)
        body = request.json(required=True)
        account = connect.verify(
            self.sandbox, account_id=request.params["id"], code=body.get("code"), user_id=user_id
        )
        return envelope({"account": account})

    def revoke(self, request: Request) -> Response:
        user_id, _ = self._user(request)
        account = connect.revoke(self.sandbox, account_id=request.params["id"], user_id=user_id)
        return envelope({"account": account})
