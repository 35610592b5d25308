"""Bounds on client input that no domain rule covers yet: text lengths and list sizes.

Each refusal is BAD_USER_INPUT naming the field, so no input reaches the database (or a
``LIKE`` pattern, or a ``VARCHAR``) unbounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from .errors import BadUserInput

T = TypeVar("T")


def check_text(value: str, field: str, maximum: int) -> str:
    """``value`` if it has at most ``maximum`` characters."""
    if len(value) > maximum:
        raise BadUserInput(f"{field} must be at most {maximum} characters.", field=field)
    return value


def check_list(values: Sequence[T], field: str, maximum: int) -> Sequence[T]:
    """``values`` if there are at most ``maximum`` of them."""
    if len(values) > maximum:
        raise BadUserInput(f"{field} takes at most {maximum} items.", field=field)
    return values
