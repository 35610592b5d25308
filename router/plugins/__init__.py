"""Python plugins for the router: typed async hooks at each stage of the request path.

Plugin authors import from here; see docs/plugins.md.
"""

from __future__ import annotations

from router.plugins.api import (
    Operation,
    Plan,
    Plugin,
    Policies,
    Reject,
    RouterRequest,
    RouterResponse,
    SubgraphRequest,
    SubgraphResponse,
)

__all__ = [
    "Operation",
    "Plan",
    "Plugin",
    "Policies",
    "Reject",
    "RouterRequest",
    "RouterResponse",
    "SubgraphRequest",
    "SubgraphResponse",
]
