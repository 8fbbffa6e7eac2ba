"""An offline stand-in for Smile's sandbox (getsmileapi.com), like stripe-mock for Stripe.

It serves, from one local HTTP server with the standard library only:

- Smile's Open API under `/v1` (users, tokens, accounts, providers, identities, employments,
  contributions, incomes, eincomes) with Smile's envelope, cursor paging, errors and HTTP Basic
  auth; set the portal's `SMILE_API_URL` to `http://HOST:PORT/v1`;
- a Link API under `/link/v1` for the widget (`SMILE_LINK_API_URL`);
- a stand-in of the Wink widget at `/v2/smile.v2.js` (`SMILE_WINK_SCRIPT_URL`);
- signed webhooks (`Smile-Signature`, HMAC-SHA512) to `SMILE_SANDBOX_WEBHOOK_URL`;
- admin endpoints under `/_sandbox/` for tests: faults, server-side connect, the delivery log.

The four sandbox people (George, Ryan, Christina, Anisha) log in with the passwords in
smile-api.md; the verification code is always `1234`.

Credentials it accepts come from `SMILE_CLIENT_ID` / `SMILE_CLIENT_SECRET`, defaulting to
`sandbox-client-id` / `sandbox-client-secret` when unset. Webhooks are signed with
`SMILE_WEBHOOK_SECRET`, the variable the portal reads, so one `.env` serves both.

Run it with `python -m smile_sandbox --help`; in tests use `smile_sandbox.testing.start_sandbox`.
The portal's runtime code never imports this package: it talks to it over HTTP.
"""

from smile_sandbox.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Config

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "Config"]
