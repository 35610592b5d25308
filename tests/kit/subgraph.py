"""A federation subgraph built from an SDL and static JSON data, executed by graphql-core.

Data format (``data/<name>.json``)::

    {
      "Query": {"field": VALUE, ...},          # root fields, by field name
      "Mutation": {"field": VALUE, ...},
      "@entities": {"Type": [OBJECT, ...]}     # what ``_entities`` resolves, matched by key
    }

A VALUE is plain JSON, or one of these directives (an object with a single ``@`` key):

- ``{"@error": "message"}``: the field raises a GraphQL error with that message;
- ``{"@args": [[ARGS, VALUE], ...], "@default": VALUE}``: the first VALUE whose ARGS are
  a subset of the field's arguments (else ``@default``, else null);
- ``{"@format": "text {a} {b.c}"}``: a string formatted from the parent object (a
  representation's fields overlay the stored entity, so ``@requires`` fields are visible);
- ``{"@tick": VALUE}``: VALUE with ``"tick"`` set to the next number of a sequence shared by
  all subgraphs of one case and one caller (shows the order mutations ran in).

An entity OBJECT matches a representation when one of the type's resolvable ``@key``
field sets has equal values in both; ``{"@any": true, ...}`` matches every representation.
A representation whose ``__typename`` is an entity interface (``@key`` on an interface)
matches the stored objects of its implementations and answers with the concrete type.
Objects returned for interface or union fields carry ``__typename``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SelectionSetNode,
    StringValueNode,
    build_ast_schema,
    parse,
    print_ast,
)

FEDERATION_TYPES = """
scalar _Any
scalar FieldSet
scalar link__Import
scalar federation__FieldSet
type _Service { sdl: String }
"""

Counter = Callable[[], int]


@dataclass
class Subgraph:
    """An executable subgraph: its schema, its SDL and its static data."""

    sdl: str
    schema: GraphQLSchema
    data: dict[str, Any]
    keys: dict[str, list[SelectionSetNode]] = field(default_factory=dict)

    def root(self, operation: str, tick: Counter) -> dict[str, Any]:
        """The root value for an operation type, with ``_entities``/``_service`` wired in."""
        values = dict(self.data.get(operation, {}))
        if operation == "Query":
            values["_service"] = {"sdl": self.sdl}
            values["_entities"] = self._entities
        values["@tick"] = tick
        return values

    def _entities(self, info: GraphQLResolveInfo, representations: list[Any]) -> list[Any]:
        return [self.entity(rep) for rep in representations]

    def entity(self, representation: Mapping[str, Any]) -> Any:
        """The stored object a representation names, overlaid with it; None when unknown.

        A representation of an entity interface (``@key`` on an interface) is looked up
        among the stored objects of every implementation and keeps the concrete type.
        """
        typename = representation.get("__typename")
        if not isinstance(typename, str):
            return GraphQLError("representation without __typename")
        keys = self.keys.get(typename, [])
        for concrete in self._concrete_types(typename):
            for candidate in self.data.get("@entities", {}).get(concrete, []):
                if candidate.get("@any") or any(
                    _matches(candidate, representation, key) for key in keys
                ):
                    if "@error" in candidate:
                        return GraphQLError(str(candidate["@error"]))
                    merged = _overlay(candidate, representation)
                    merged["__typename"] = concrete
                    return merged
        return None

    def _concrete_types(self, typename: str) -> list[str]:
        named = self.schema.get_type(typename)
        if isinstance(named, GraphQLInterfaceType):
            return [t.name for t in self.schema.get_possible_types(named)]
        return [typename]


def build_subgraph(sdl: str, data: dict[str, Any]) -> Subgraph:
    """Parse a subgraph SDL (federation directives allowed) and add the federation fields."""
    document = extensions_as_definitions(parse(sdl))
    keys = _resolvable_keys(document)
    has_query = any(
        isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Query"
        for d in document.definitions
    )
    extra = FEDERATION_TYPES
    root_fields = "_service: _Service!"
    objects = sorted(name for name in keys if name in _object_names(document))
    if objects:
        extra += f"union _Entity = {' | '.join(objects)}\n"
        root_fields += " _entities(representations: [_Any!]!): [_Entity]!"
    extra += f"{'extend type' if has_query else 'type'} Query {{ {root_fields} }}\n"
    full = parse(print_ast(document) + "\n" + extra)
    schema = build_ast_schema(full, assume_valid_sdl=True)
    return Subgraph(sdl=sdl, schema=schema, data=data, keys=keys)


def resolve_field(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """Default resolver: a parent's value by field name, with the data directives applied."""
    if not isinstance(parent, Mapping):
        return None
    value = parent.get(info.field_name)
    if callable(value):
        return value(info, **args)
    return _directive(value, parent, args)


def _directive(value: Any, parent: Mapping[str, Any], args: dict[str, Any]) -> Any:
    if not isinstance(value, dict):
        return value
    if "@error" in value:
        return GraphQLError(str(value["@error"]))
    if "@args" in value:
        for wanted, result in value["@args"]:
            if all(args.get(name) == expected for name, expected in wanted.items()):
                return _directive(result, parent, args)
        return _directive(value.get("@default"), parent, args)
    if "@format" in value:
        return str(value["@format"]).format_map(_Dotted(parent))
    if "@tick" in value:
        return {**value["@tick"], "tick": parent["@tick"]()}
    return value


class _Dotted(dict[str, Any]):
    """``str.format_map`` lookups where ``{a.b}`` walks nested objects."""

    def __init__(self, source: Mapping[str, Any]) -> None:
        super().__init__(source)

    def __missing__(self, key: str) -> Any:
        raise KeyError(key)

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return _Attrs(value) if isinstance(value, Mapping) else value


class _Attrs:
    def __init__(self, value: Mapping[str, Any]) -> None:
        self._value = value

    def __getattr__(self, name: str) -> Any:
        value = self._value.get(name)
        return _Attrs(value) if isinstance(value, Mapping) else value


def extensions_as_definitions(document: DocumentNode) -> DocumentNode:
    """Federation 1 style: ``extend type T`` without a ``type T`` defines T in the subgraph."""
    defined = {
        d.name.value for d in document.definitions if isinstance(d, ObjectTypeDefinitionNode)
    }
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeExtensionNode) and definition.name.value not in defined:
            defined.add(definition.name.value)
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=definition.fields,
            )
        definitions.append(definition)
    return DocumentNode(definitions=tuple(definitions))


def _object_names(document: DocumentNode) -> set[str]:
    return {
        d.name.value
        for d in document.definitions
        if isinstance(d, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
    }


def _resolvable_keys(document: DocumentNode) -> dict[str, list[SelectionSetNode]]:
    """Resolvable ``@key`` field sets of object types and entity interfaces, by type."""
    keys: dict[str, list[SelectionSetNode]] = {}
    for definition in document.definitions:
        if not isinstance(
            definition,
            ObjectTypeDefinitionNode | ObjectTypeExtensionNode | InterfaceTypeDefinitionNode,
        ):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "key":
                continue
            arguments = {a.name.value: a.value for a in directive.arguments}
            resolvable = arguments.get("resolvable")
            if resolvable is not None and getattr(resolvable, "value", True) is False:
                continue
            fields = arguments.get("fields")
            if isinstance(fields, StringValueNode):
                selection = parse(f"{{ {fields.value} }}").definitions[0]
                keys.setdefault(definition.name.value, []).append(selection.selection_set)  # type: ignore[attr-defined]
    return keys


def _matches(candidate: Any, representation: Any, selection: SelectionSetNode) -> bool:
    if not isinstance(candidate, Mapping) or not isinstance(representation, Mapping):
        return False
    for node in selection.selections:
        if not isinstance(node, FieldNode):
            return False
        name = node.name.value
        if name not in representation or name not in candidate:
            return False
        if node.selection_set is not None:
            if not _matches(candidate[name], representation[name], node.selection_set):
                return False
        elif candidate[name] != representation[name]:
            return False
    return True


def _overlay(stored: Mapping[str, Any], representation: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(stored)
    for name, value in representation.items():
        if isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
            merged[name] = _overlay(merged[name], value)
        else:
            merged[name] = value
    return merged


def sequence() -> Counter:
    """A fresh counter: 1, 2, 3, …"""
    return itertools.count(1).__next__
