"""Build TypeDefs from a subgraph document: merge definitions and extensions, rename roots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
)

from schema.model import Directive, Element, Field, InputValue, Kind, TypeDef
from schema.specs import FEDERATION_ONLY_TYPES, FEDERATION_QUERY_FIELDS, FEDERATION_TYPES

_KINDS: dict[type, Kind] = {
    ScalarTypeDefinitionNode: "SCALAR",
    ScalarTypeExtensionNode: "SCALAR",
    ObjectTypeDefinitionNode: "OBJECT",
    ObjectTypeExtensionNode: "OBJECT",
    InterfaceTypeDefinitionNode: "INTERFACE",
    InterfaceTypeExtensionNode: "INTERFACE",
    UnionTypeDefinitionNode: "UNION",
    UnionTypeExtensionNode: "UNION",
    EnumTypeDefinitionNode: "ENUM",
    EnumTypeExtensionNode: "ENUM",
    InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    InputObjectTypeExtensionNode: "INPUT_OBJECT",
}
DEFAULT_ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


@dataclass
class _Builder:
    kind: Kind
    description: str | None = None
    directives: list[Directive] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    input_fields: list[InputValue] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: list[Element] = field(default_factory=list)
    has_definition: bool = False
    has_extension: bool = False


@dataclass(frozen=True)
class _Names:
    directives: Mapping[str, str]
    types: Mapping[str, str]

    def type_ref(self, node: TypeNode) -> str:
        if isinstance(node, NonNullTypeNode):
            return self.type_ref(node.type) + "!"
        if isinstance(node, ListTypeNode):
            return "[" + self.type_ref(node.type) + "]"
        assert isinstance(node, NamedTypeNode)
        return self.types.get(node.name.value, node.name.value)


def build_types(
    document: DocumentNode, names: Mapping[str, str]
) -> tuple[dict[str, TypeDef], dict[str, str]]:
    """Types by (root-renamed) name, and the root operation types present."""
    renames = {root: DEFAULT_ROOTS[op] for op, root in root_renames(document).items()}
    ns = _Names(names, renames)
    builders: dict[str, _Builder] = {}
    for node in document.definitions:
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            name = renames.get(node.name.value, node.name.value)
            if _is_federation_type(node.name.value, names):
                continue
            builder = builders.setdefault(name, _Builder(_KINDS[type(node)]))
            _add(builder, node, ns)
    builders.setdefault("Query", _Builder("OBJECT", has_definition=True))
    types = {name: _freeze(name, b) for name, b in builders.items()}
    query = types["Query"]
    if any(f.name in FEDERATION_QUERY_FIELDS for f in query.fields):
        fields = tuple(f for f in query.fields if f.name not in FEDERATION_QUERY_FIELDS)
        types["Query"] = _replace_fields(query, fields)
    roots = {op: name for op, name in DEFAULT_ROOTS.items() if name in types}
    return types, roots


def _replace_fields(t: TypeDef, fields: tuple[Field, ...]) -> TypeDef:
    from dataclasses import replace

    return replace(t, fields=fields)


def _is_federation_type(name: str, names: Mapping[str, str]) -> bool:
    if name in FEDERATION_ONLY_TYPES or name.startswith(("link__", "federation__")):
        return True
    return names.get(name) in FEDERATION_TYPES


def root_renames(document: DocumentNode) -> dict[str, str]:
    """Operation → root type name, for roots not under their default name."""
    renames = {}
    for node in document.definitions:
        if isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            for op in node.operation_types or ():
                if op.type.name.value != DEFAULT_ROOTS[op.operation.value]:
                    renames[op.operation.value] = op.type.name.value
    return renames


def directives(
    nodes: Iterable[DirectiveNode] | None, ns: Mapping[str, str], ext: bool = False
) -> tuple[Directive, ...]:
    return tuple(
        Directive(
            name=ns.get(d.name.value, d.name.value),
            args=tuple((a.name.value, a.value) for a in d.arguments or ()),
            on_extension=ext,
        )
        for d in nodes or ()
    )


def input_values(
    nodes: Sequence[InputValueDefinitionNode] | None,
    names: Mapping[str, str],
    renames: Mapping[str, str],
) -> tuple[InputValue, ...]:
    ns = _Names(names, renames)
    return tuple(
        InputValue(
            name=n.name.value,
            description=n.description.value if n.description else None,
            directives=directives(n.directives, names),
            type=ns.type_ref(n.type),
            default=n.default_value,
        )
        for n in nodes or ()
    )


def _fields(nodes: Sequence[FieldDefinitionNode], ns: _Names, ext: bool) -> list[Field]:
    return [
        Field(
            name=n.name.value,
            description=n.description.value if n.description else None,
            directives=directives(n.directives, ns.directives, ext),
            type=ns.type_ref(n.type),
            args=input_values(n.arguments, ns.directives, ns.types),
            on_extension=ext,
        )
        for n in nodes
    ]


def _add(b: _Builder, node: TypeDefinitionNode | TypeExtensionNode, ns: _Names) -> None:
    ext = isinstance(node, TypeExtensionNode)
    if ext:
        b.has_extension = True
    else:
        b.has_definition = True
        description = getattr(node, "description", None)
        b.description = description.value if description else None
    b.directives.extend(directives(node.directives, ns.directives, ext))
    b.fields.extend(
        _fields(getattr(node, "fields", None) or (), ns, ext)
        if b.kind in ("OBJECT", "INTERFACE")
        else ()
    )
    if b.kind == "INPUT_OBJECT":
        b.input_fields.extend(input_values(getattr(node, "fields", None), ns.directives, ns.types))
    b.interfaces.extend(
        ns.types.get(i.name.value, i.name.value) for i in getattr(node, "interfaces", None) or ()
    )
    b.members.extend(
        ns.types.get(m.name.value, m.name.value) for m in getattr(node, "types", None) or ()
    )
    for v in getattr(node, "values", None) or ():
        b.values.append(
            Element(
                name=v.name.value,
                description=v.description.value if v.description else None,
                directives=directives(v.directives, ns.directives, ext),
            )
        )


def _freeze(name: str, b: _Builder) -> TypeDef:
    return TypeDef(
        name=name,
        description=b.description,
        directives=tuple(b.directives),
        kind=b.kind,
        fields=tuple(b.fields),
        input_fields=tuple(b.input_fields),
        interfaces=tuple(b.interfaces),
        members=tuple(b.members),
        values=tuple(b.values),
        has_definition=b.has_definition,
        has_extension=b.has_extension,
    )
