"""Output rewrites: internally aliased fields go back under their response names."""

from __future__ import annotations

from typing import Any

from router.executor.rewrites import rename_keys
from router.planner.plan import KeyRenamer, ValueSetter


def test_renames_through_lists_and_fragments() -> None:
    data: dict[str, Any] = {
        "items": [
            {"__typename": "Book", "code": "B"},
            {"__typename": "Pen", "code__alias_0": None},
            None,
        ]
    }
    rename_keys(data, (KeyRenamer(("items", "... on Pen", "code__alias_0"), "code"),))
    assert data == {
        "items": [{"__typename": "Book", "code": "B"}, {"__typename": "Pen", "code": None}, None]
    }


def test_renames_nested_before_outer() -> None:
    entity: dict[str, Any] = {"info__alias_0": {"x__alias_0": 1}}
    rewrites = (
        KeyRenamer(("... on A", "info__alias_0", "x__alias_0"), "x"),
        KeyRenamer(("... on A", "info__alias_0"), "info"),
        ValueSetter(("__typename",), "ignored"),
    )
    rename_keys(entity, rewrites)
    assert entity == {"info": {"x": 1}}


def test_missing_paths_are_left_alone() -> None:
    data: dict[str, Any] = {"items": None, "other": 1}
    rename_keys(data, (KeyRenamer(("items", "code__alias_0"), "code"),))
    assert data == {"items": None, "other": 1}
