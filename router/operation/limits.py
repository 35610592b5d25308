"""Stage 5, limits: refuse operations over the configured limits before any planning."""

from __future__ import annotations

from router.operation.validate import ValidOperation


def enforce_limits(valid: ValidOperation) -> None:
    """Placeholder of the request path: operation limits arrive with the hostile-input work."""
    del valid
