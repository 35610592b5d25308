"""The admin guard: admin-only fields need the ``X-Admin-Token`` header.

The token is ``SUBSCRIPTIONS_ADMIN_TOKEN``; with none configured, admin fields are refused.
Through the router, the header must be propagated to the subscriptions subgraph (a
``headers:`` rule in router.yaml); services and operators may also call the subgraph directly.
"""

from __future__ import annotations

import secrets
from typing import Any

from subgraphs.common.errors import DomainError

ADMIN_HEADER = "x-admin-token"


class Forbidden(DomainError):
    """FORBIDDEN: an admin-only operation without the right admin token."""

    code = "FORBIDDEN"


def require_admin(info: Any, operation: str) -> None:
    """Raise FORBIDDEN unless the request carries the configured admin token."""
    expected: str = info.context.settings.admin_token
    if not expected:
        raise Forbidden(
            f"{operation} is disabled: no admin token is configured (SUBSCRIPTIONS_ADMIN_TOKEN)."
        )
    given: str = info.context.request.headers.get(ADMIN_HEADER, "")
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise Forbidden(f"{operation} needs the admin token in the X-Admin-Token header.")
