"""Apply a fetch's output rewrites: put internally aliased fields back under their names."""

from __future__ import annotations

from typing import Any

from router.planner.plan import KeyRenamer, Rewrite


def rename_keys(value: Any, rewrites: tuple[Rewrite, ...]) -> None:
    """Apply every `KeyRenamer` to a fetch result (root data or one entity), in place.

    Path steps are response keys (lists are walked item by item) and `... on T` steps,
    which need no check here: the aliased key only exists where its fragment applied.
    """
    for rewrite in rewrites:
        if isinstance(rewrite, KeyRenamer) and rewrite.path:
            _rename(value, rewrite.path, rewrite.rename_key_to)


def _rename(value: Any, path: tuple[str, ...], new: str) -> None:
    if isinstance(value, list):
        for item in value:
            _rename(item, path, new)
        return
    if not isinstance(value, dict):
        return
    head, rest = path[0], path[1:]
    if head.startswith("... on "):
        if rest:
            _rename(value, rest, new)
        return
    if not rest:
        if head in value:
            value[new] = value.pop(head)
        return
    _rename(value.get(head), rest, new)
