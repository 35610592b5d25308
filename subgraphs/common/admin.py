"""Staff guards: operations that need a staff scope of the request's verified identity.

The identity comes from the router's signed token (or a peer service's), see ``identity``;
``admin`` and peer services pass every guard. docs/security.md has the table of scopes.
"""

from __future__ import annotations

from typing import Any

SUPPORT_READ = "support:read"
SUPPORT_WRITE = "support:write"
BILLING_WRITE = "billing:write"
REFUNDS_WRITE = "refunds:write"
ADMIN = "admin"


def require_staff(info: Any, operation: str, *scopes: str) -> None:
    """Raise FORBIDDEN unless the identity holds one of ``scopes`` (or admin, or is a service)."""
    info.context.identity.require(operation, staff=scopes)


def require_admin(info: Any, operation: str) -> None:
    """Raise FORBIDDEN unless the identity holds ``admin`` (or is a peer service)."""
    info.context.identity.require(operation)
