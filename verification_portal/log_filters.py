"""Logging filters for the portal's console handler."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Log a 4xx answer as one line: a refused page is the client's doing, not a bug.

    Django logs a PermissionDenied or Http404 with its traceback attached; under `make run`
    every page a role may not see then prints forty lines. Server errors keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
