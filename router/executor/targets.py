"""Find the objects a flatten path reaches in the response being assembled.

The hot path collects the objects only; their response paths, needed just for errors, are
computed on demand by a second walk that visits the same objects in the same order.
"""

from __future__ import annotations

from typing import Any

from .errors import LinkedPath, Path, flatten_path


class Targets:
    """The objects at ``path`` from ``root`` ("@" = each list item), in response order."""

    __slots__ = ("_paths", "objects", "path", "root")

    def __init__(self, root: dict[str, Any], path: tuple[str, ...]) -> None:
        self.root = root
        self.path = path
        self.objects = objects_at(root, path) if path else [root]
        self._paths: list[LinkedPath] | None = None

    def path_of(self, index: int) -> Path:
        """The response path of ``objects[index]``."""
        if self._paths is None:
            self._paths = [at for at, _ in _objects_with_paths(self.root, self.path)]
        return flatten_path(self._paths[index])


def objects_at(root: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every object reached by ``path``; lists met where a field is named are stepped
    through, and a path ending on a list targets every object in it."""
    level: list[Any] = [root]
    for head in path:
        following: list[Any] = []
        if head == "@":
            for value in level:
                if type(value) is list:
                    following += value
        else:
            for value in level:
                if type(value) is not dict:
                    if type(value) is not list:
                        continue
                    following += _children(_flat(value), head)
                    continue
                child = value.get(head)
                if type(child) is dict or type(child) is list:
                    following.append(child)
        level = following
    for value in level:
        if type(value) is not dict:
            return _flat(level)
    return level


def _children(objects: list[dict[str, Any]], head: str) -> list[Any]:
    found = []
    for value in objects:
        child = value.get(head)
        if type(child) is dict or type(child) is list:
            found.append(child)
    return found


def _flat(values: list[Any]) -> list[dict[str, Any]]:
    """The objects among ``values``, nested lists flattened in order."""
    out: list[dict[str, Any]] = []
    for value in values:
        if type(value) is dict:
            out.append(value)
        elif type(value) is list:
            out += _flat(value)
    return out


def _objects_with_paths(root: Any, path: tuple[str, ...]) -> list[tuple[LinkedPath, Any]]:
    """``objects_at`` with each object's linked path (same objects, same order)."""
    level: list[tuple[LinkedPath, Any]] = [(None, root)]
    for head in path:
        following: list[tuple[LinkedPath, Any]] = []
        for at, value in level:
            if head == "@":
                if type(value) is list:
                    following += [((at, i), item) for i, item in enumerate(value)]
                continue
            for item_at, item in _flat_with_paths(at, value):
                child = item.get(head)
                if type(child) is dict or type(child) is list:
                    following.append(((item_at, head), child))
        level = following
    found: list[tuple[LinkedPath, Any]] = []
    for at, value in level:
        found += _flat_with_paths(at, value)
    return found


def _flat_with_paths(at: LinkedPath, value: Any) -> list[tuple[LinkedPath, dict[str, Any]]]:
    if type(value) is dict:
        return [(at, value)]
    found: list[tuple[LinkedPath, dict[str, Any]]] = []
    if type(value) is list:
        for index, item in enumerate(value):
            found += _flat_with_paths((at, index), item)
    return found
