"""What "the same answer" means: identical ``data`` (key order too) and errors on both or neither.

Numbers compare by value: ``3.0`` (Python's JSON for a Float) equals ``3`` (JavaScript's).

Reference defect, for every case: when shaping the response, Apollo's gateway reports a
non-null violation it finds (e.g. ``_entities`` answered null for an entity whose selected
field is non-null) in ``extensions.valueCompletion`` instead of ``errors``. The GraphQL spec
(6.4.4, "Handling Field Errors") makes it a field error, in ``errors``, which is what we
do; so those entries count as Apollo's errors. Cases where this happens:
``composite_keys:MissingEntityNullsListItem``, ``null_entities:NullKeyObjectIsNotFetched``,
``null_entities:UnknownEntityNonNullFieldPropagates``.
"""

from __future__ import annotations

import json
from typing import Any


def canonical(value: Any) -> Any:
    """A comparable form that keeps key order and tells booleans from numbers."""
    if isinstance(value, dict):
        return ("object", [(key, canonical(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [canonical(item) for item in value])
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return (type(value).__name__, value)


def reference_errors(reference: dict[str, Any]) -> list[Any]:
    """Apollo's errors, including those it reports in ``extensions.valueCompletion``."""
    extensions = reference.get("extensions") or {}
    return [*(reference.get("errors") or []), *(extensions.get("valueCompletion") or [])]


def disagreements(ours: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """Human-readable differences between two GraphQL responses; empty when they agree."""
    problems: list[str] = []
    if canonical(ours.get("data")) != canonical(reference.get("data")):
        problems.append(
            f"data differs:\n ours: {json.dumps(ours.get('data'))}\n"
            f" apollo: {json.dumps(reference.get('data'))}"
        )
    if bool(ours.get("errors")) != bool(reference_errors(reference)):
        problems.append(
            f"errors differ:\n ours: {ours.get('errors')}\n apollo: {reference_errors(reference)}"
        )
    return problems
