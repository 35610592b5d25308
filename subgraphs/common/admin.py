"""The admin guard: admin-only fields need the ``X-Admin-Token`` header.

The token is ``<SERVICE>_ADMIN_TOKEN``; with none configured, admin fields are refused.
Through the router, the header must be propagated to the subgraph (a ``headers:`` rule in
router.yaml); services and operators may also call the subgraph directly. Every admin
operation calls ``require_admin`` first, so a later identity-based check replaces one function.
"""

from __future__ import annotations

import secrets
from typing import Any

from .errors import Forbidden

ADMIN_HEADER = "x-admin-token"


def require_admin(info: Any, operation: str) -> None:
    """Raise FORBIDDEN unless the request carries the configured admin token."""
    settings = info.context.settings
    expected: str = settings.admin_token
    variable = f"{settings.name.upper()}_ADMIN_TOKEN"
    if not expected:
        raise Forbidden(f"{operation} is disabled: no admin token is configured ({variable}).")
    given: str = info.context.request.headers.get(ADMIN_HEADER, "")
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise Forbidden(f"{operation} needs the admin token in the X-Admin-Token header.")
