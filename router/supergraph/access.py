"""Access-control requirements of a supergraph: `@authenticated`, `@requiresScopes`, `@policy`.

Composition puts them on object types, interfaces, scalars, enums and fields (already
carried from implementations to interfaces, as Apollo's composition does). A field's
requirements are its own and those of the type it returns; every requirement must hold
(AND). Within `@requiresScopes(scopes:)` and `@policy(policies:)` the outer list is OR and
the inner lists AND: `[["a", "b"], ["c"]]` is (a and b) or c.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    value_from_ast_untyped,
)

from router.supergraph.links import Links

Clauses = tuple[frozenset[str], ...]  # OR of ANDs


@dataclass(frozen=True, slots=True)
class Requirement:
    """One directive's demand: authentication, a scope clause set or a policy clause set."""

    kind: str  # "authenticated", "scopes" or "policies"
    clauses: Clauses = ()

    def describe(self) -> str:
        if self.kind == "authenticated":
            return "@authenticated"
        sets = " or ".join("[" + ", ".join(sorted(c)) + "]" for c in self.clauses)
        return f"{self.kind}: {sets}"


@dataclass(frozen=True, slots=True)
class AccessRules:
    """Requirements by type name and by (type, field) coordinate; empty: nothing protected."""

    types: Mapping[str, tuple[Requirement, ...]] = field(default_factory=dict)
    fields: Mapping[tuple[str, str], tuple[Requirement, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.types or self.fields)


_KINDS = {"authenticated": "authenticated", "requiresScopes": "scopes", "policy": "policies"}
_ARGUMENT = {"scopes": "scopes", "policies": "policies"}
_TYPES = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
)


def read_access(document: DocumentNode, links: Links) -> AccessRules:
    names: dict[str, str] = {}
    for spec, kind in _KINDS.items():
        feature = links.feature(spec)
        if feature is not None:
            names[feature.directive(spec)] = kind
    if not names:
        return AccessRules()
    types: dict[str, tuple[Requirement, ...]] = {}
    fields: dict[tuple[str, str], tuple[Requirement, ...]] = {}
    for definition in document.definitions:
        if not isinstance(definition, _TYPES):
            continue
        type_name = definition.name.value
        found = _requirements(definition.directives, names)
        if found:
            types[type_name] = types.get(type_name, ()) + found
        for field_node in getattr(definition, "fields", None) or ():
            found = _requirements(field_node.directives, names)
            if found:
                key = (type_name, field_node.name.value)
                fields[key] = fields.get(key, ()) + found
    return AccessRules(types, fields)


def _requirements(
    directives: tuple[ConstDirectiveNode, ...] | None, names: Mapping[str, str]
) -> tuple[Requirement, ...]:
    found: list[Requirement] = []
    for directive in directives or ():
        kind = names.get(directive.name.value)
        if kind is None:
            continue
        if kind == "authenticated":
            found.append(Requirement("authenticated"))
            continue
        argument = next((a for a in directive.arguments or () if a.name.value == kind), None)
        raw: Any = value_from_ast_untyped(argument.value) if argument is not None else []
        clauses = tuple(frozenset(str(s) for s in clause) for clause in raw or ())
        found.append(Requirement(kind, clauses))
    return tuple(found)
