"""Stage 7, authorize: remove the fields the request's identity may not see, before planning."""

from __future__ import annotations

from router.operation.validate import ValidOperation


def authorize(valid: ValidOperation) -> ValidOperation:
    """Placeholder of the request path: authorization arrives with the identity work."""
    return valid
