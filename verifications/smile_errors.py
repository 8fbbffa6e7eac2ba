"""The errors a call to Smile can end in: each says whether trying again later can help.

Every error carries Smile's `requestId` when Smile sent one, and never a secret.
"""

from __future__ import annotations


class SmileError(Exception):
    """A call to Smile failed. `permanent` says whether repeating it can ever help."""

    permanent = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str = "",
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        super().__init__(str(self))

    def __str__(self) -> str:
        details = ", ".join(
            part
            for part in (
                f"HTTP {self.status}" if self.status else "",
                self.code,
                f"requestId {self.request_id}" if self.request_id else "",
            )
            if part
        )
        return f"{self.message} ({details})" if details else self.message


class SmileAuthError(SmileError):
    """Smile refused our API key and secret, or this key may not do that."""


class SmileNotFound(SmileError):
    """The user, account, provider or record does not exist at Smile."""


class SmileInvalidParameters(SmileError):
    """Smile refused what we sent (a bug on our side, or data it does not accept)."""


class SmileInvalidId(SmileInvalidParameters, ValueError):
    """We were asked to call Smile with something that cannot be an id of that kind.

    Refused before anything is sent: it is the caller's mistake (an empty or foreign id), not
    Smile's answer, so it has no status or requestId. It is a ValueError too, as a bad argument.
    """


class SmileRateLimited(SmileError):
    """Too many requests; `retry_after` says when Smile wants to hear from us again."""

    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class SmileUnavailable(SmileError):
    """Smile could not be reached, timed out, or answered with a server error."""

    permanent = False


class SmileOutcomeUnknown(SmileUnavailable):
    """A POST was sent but no complete answer came back: Smile may have carried it out.

    The client never repeats such a call itself. It stays `permanent = False` on purpose: our
    POSTs are create user and create token. A second token is harmless (each is single use).
    A second user leaves the first one orphaned at Smile, holding nothing (no accounts, no
    data; Smile has no DELETE /users), which is better than an applicant who can never get a
    Smile user. A caller for whom a repeat would do harm must check this class first.
    """


class SmileBadResponse(SmileError):
    """Smile answered, but not with what its API promises (not JSON, wrong shape, bad value)."""


ERRORS_BY_CODE = {
    "INVALID_CREDENTIALS": (SmileAuthError, "Smile refused the API key and secret"),
    "INVALID_TOKEN": (SmileAuthError, "Smile refused the credentials"),
    "UNAUTHORIZED_ACCESS": (SmileAuthError, "This Smile API key may not do that"),
    "MISSING_RESOURCE": (SmileNotFound, "Smile does not know this object"),
    "INVALID_PARAMETERS": (SmileInvalidParameters, "Smile refused the request's parameters"),
    "UNSUPPORTED_TYPE": (SmileInvalidParameters, "Smile refused the request's content type"),
    "UNSUPPORTED_METHOD": (SmileInvalidParameters, "Smile does not support this call"),
    "REQUEST_LIMIT_EXCEEDED": (SmileRateLimited, "Smile's rate limit was reached"),
    "SERVER_ERROR": (SmileUnavailable, "Smile had a server error"),
    "SERVER_UNAVAILABLE": (SmileUnavailable, "Smile is unavailable"),
    "TIME_LIMIT_EXCEEDED": (SmileUnavailable, "Smile timed out"),
}
ERRORS_BY_STATUS = {
    400: "INVALID_PARAMETERS",
    401: "INVALID_TOKEN",
    403: "UNAUTHORIZED_ACCESS",
    404: "MISSING_RESOURCE",
    415: "UNSUPPORTED_TYPE",
    429: "REQUEST_LIMIT_EXCEEDED",
    501: "UNSUPPORTED_METHOD",
    503: "SERVER_UNAVAILABLE",
    504: "TIME_LIMIT_EXCEEDED",
}
