"""Checking ``_entities`` representations before they reach ``resolve_reference``.

A representation is client input like any other (the router sends them, but anyone can
POST to a subgraph). Each one must be a JSON object whose ``__typename`` names an entity
this subgraph resolves and whose other fields are exactly the parameters of that type's
``resolve_reference``: every required one present, nothing unknown, ids as strings of at
most ``MAX_ID_LENGTH`` characters (an integer id is taken as its decimal string, as GraphQL
coerces ``ID`` input) and object fields (``@requires`` selections) as objects. A bad one is
a ``BAD_USER_INPUT`` error at ``["_entities", index]``; the others still resolve.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import BadUserInput
from .ids import MAX_ID_LENGTH

MAX_REPRESENTATIONS = 10_000
_ObjectKind = "object"
_IdKind = "id"
_ScalarKind = "scalar"


@dataclass(frozen=True, slots=True)
class EntityShape:
    """What a representation of one entity type may hold: field name -> kind, and which
    of them are required."""

    fields: dict[str, str]
    required: frozenset[str]


def entity_shape(resolve_reference: Callable[..., Any]) -> EntityShape:
    """The representation ``resolve_reference`` accepts, read from its signature."""
    function = getattr(resolve_reference, "__func__", resolve_reference)
    hints = typing.get_type_hints(function)
    fields: dict[str, str] = {}
    required: set[str] = set()
    for name, parameter in inspect.signature(resolve_reference).parameters.items():
        if name in ("cls", "self", "info"):
            continue
        fields[name] = _kind(hints.get(name, Any))
        if parameter.default is inspect.Parameter.empty:
            required.add(name)
    return EntityShape(fields=fields, required=frozenset(required))


def _kind(hint: Any) -> str:
    options = typing.get_args(hint) if _is_union(hint) else (hint,)
    options = tuple(o for o in options if o is not type(None))
    if any(typing.get_origin(o) is dict or o is dict for o in options):
        return _ObjectKind
    if any(o is str or getattr(o, "__supertype__", None) is str for o in options):
        return _IdKind
    return _ScalarKind


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def check_representation(
    index: int, representation: Any, shapes: dict[str, EntityShape]
) -> dict[str, Any]:
    """A copy of ``representation`` fit for ``resolve_reference``; BadUserInput otherwise."""
    where = f"Representation {index}"
    if not isinstance(representation, dict):
        raise BadUserInput(f"{where} is not an object.", field="representations")
    typename = representation.get("__typename")
    if not isinstance(typename, str) or typename not in shapes:
        raise BadUserInput(
            f"{where} has no __typename of an entity this subgraph resolves "
            f"({', '.join(sorted(shapes))}).",
            field="representations",
        )
    shape = shapes[typename]
    checked: dict[str, Any] = {"__typename": typename}
    for name, value in representation.items():
        if name == "__typename":
            continue
        if name not in shape.fields:
            raise BadUserInput(f"{where}: {typename} has no key field {name!r}.", field=name)
        checked[name] = _value(where, name, value, shape.fields[name])
    missing = sorted(shape.required - checked.keys())
    if missing:
        raise BadUserInput(f"{where}: {typename} needs {', '.join(missing)}.", field=missing[0])
    return checked


def _value(where: str, name: str, value: Any, kind: str) -> Any:
    if kind == _IdKind:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_LENGTH:
            raise BadUserInput(
                f"{where}: {name} must be a string of 1 to {MAX_ID_LENGTH} characters.",
                field=name,
            )
        return value
    if kind == _ObjectKind:
        nested = value.values() if isinstance(value, dict) else ()
        if value is not None and (
            not isinstance(value, dict) or any(isinstance(v, (dict, list)) for v in nested)
        ):
            raise BadUserInput(f"{where}: {name} must be an object of scalars.", field=name)
        return value
    if isinstance(value, (dict, list)):
        raise BadUserInput(f"{where}: {name} must be a scalar.", field=name)
    return value
