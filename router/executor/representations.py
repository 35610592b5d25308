"""Build entity representations from fetched objects, by a fetch's ``requires`` selection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from router.planner.plan import Field, InlineFragment, Rewrite, Selection, ValueSetter

Builder = Callable[[dict[str, Any]], dict[str, Any] | None]


def representation_builder(
    requires: tuple[Selection, ...], rewrites: tuple[Rewrite, ...] = ()
) -> Builder:
    """``representation`` specialised for one fetch's ``requires``.

    The common shape, type-conditioned fragments of plain fields (keys and scalar
    ``@requires`` fields), becomes a table lookup by ``__typename``.
    """
    table = _flat_table(requires) if not rewrites else None
    if table is None:
        return lambda obj: representation(obj, requires, rewrites)

    def build(obj: dict[str, Any]) -> dict[str, Any] | None:
        pairs = table.get(obj.get("__typename"))
        if not pairs:
            return None
        out: dict[str, Any] = {}
        for name, key in pairs:
            if key not in obj:
                return None
            out[name] = obj[key]
        return out

    return build


def _flat_table(requires: tuple[Selection, ...]) -> dict[Any, list[tuple[str, str]]] | None:
    table: dict[Any, list[tuple[str, str]]] = {}
    for selection in requires:
        if not isinstance(selection, InlineFragment) or selection.type_condition is None:
            return None
        pairs = table.setdefault(selection.type_condition, [])
        for inner in selection.selections:
            if not isinstance(inner, Field) or inner.selections:
                return None
            if (inner.name, inner.response_name) not in pairs:
                pairs.append((inner.name, inner.response_name))
    return table


def representation(
    obj: dict[str, Any], requires: tuple[Selection, ...], rewrites: tuple[Rewrite, ...] = ()
) -> dict[str, Any] | None:
    """The representation of ``obj``, or None if it matches no fragment or lacks a field."""
    typename = obj.get("__typename")
    out: dict[str, Any] = {}
    if not _collect(obj, requires, typename, out):
        return None
    for rewrite in rewrites:
        if isinstance(rewrite, ValueSetter):
            _set_value(out, rewrite.path, rewrite.set_value_to)
    return out if out else None


def _set_value(value: Any, path: tuple[str, ...], new: str) -> None:
    """Apply a ValueSetter: ``... on T`` steps filter by ``__typename``, keys descend."""
    if not path or not isinstance(value, dict):
        return
    head, rest = path[0], path[1:]
    if head.startswith("... on "):
        if value.get("__typename") == head[len("... on ") :]:
            _set_value(value, rest, new)
        return
    if not rest:
        if head in value:
            value[head] = new
        return
    child = value.get(head)
    for item in child if isinstance(child, list) else [child]:
        _set_value(item, rest, new)


def _collect(
    obj: dict[str, Any], selections: tuple[Selection, ...], typename: Any, out: dict[str, Any]
) -> bool:
    matched = False
    for selection in selections:
        if isinstance(selection, InlineFragment):
            if selection.type_condition is None or selection.type_condition == typename:
                if not _collect(obj, selection.selections, typename, out):
                    return False
                matched = True
            continue
        matched = True
        if not _copy_field(obj, selection, out):
            return False
    return matched


def _copy_field(obj: dict[str, Any], selection: Field, out: dict[str, Any]) -> bool:
    key = selection.response_name
    if key not in obj:
        return False
    value = obj[key]
    if not selection.selections or value is None:
        out[selection.name] = value
        return True
    copied = _copy_value(value, selection.selections)
    if copied is _MISSING:
        return False
    out[selection.name] = copied
    return True


_MISSING = object()


def _copy_value(value: Any, selections: tuple[Selection, ...]) -> Any:
    if isinstance(value, list):
        items = [_copy_value(v, selections) for v in value]
        return _MISSING if any(i is _MISSING for i in items) else items
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    if not _collect(value, selections, value.get("__typename"), out):
        return _MISSING
    return out
