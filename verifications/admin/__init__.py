"""The Django admin: applicants and invites, Smile's records, and the webhook inbox.

Admin code registers, displays and calls workflow functions; it never holds business rules.
"""

from verifications.admin import applicants, invites, operations, records, review  # noqa: F401
