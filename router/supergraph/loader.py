"""Load a supergraph SDL (link v1.0, join v0.1 to v0.5) into the immutable model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    OperationDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SelectionSetNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    value_from_ast_untyped,
)

from router.supergraph.access import read_access
from router.supergraph.api_schema import build_api_schema
from router.supergraph.links import Links, read_links
from router.supergraph.model import (
    FieldInfo,
    FieldInGraph,
    Graph,
    Key,
    Supergraph,
    TypeInfo,
    TypeInGraph,
    TypeKind,
)

_KINDS: dict[type[Any], TypeKind] = {
    ObjectTypeDefinitionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    UnionTypeDefinitionNode: "union",
    EnumTypeDefinitionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
}


class SupergraphError(ValueError):
    """The SDL is not a supergraph this router understands."""


def load_supergraph(sdl: str, url_overrides: Mapping[str, str] | None = None) -> Supergraph:
    """Parse `sdl` into a `Supergraph`; `url_overrides` maps subgraph name → URL."""
    document = parse(sdl, no_location=True)
    links = read_links(document)
    if links.version("join") is None:
        raise SupergraphError("not a supergraph: no @link to the join spec")
    reader = _Reader(links, document)
    graphs = reader.graphs(url_overrides or {})
    types = {t.name: t for t in reader.types(graphs)}
    schema = build_ast_schema(document, assume_valid_sdl=True)
    roots = _root_types(document)
    return Supergraph(
        graphs=graphs,
        types=types,
        schema=schema,
        api_schema=build_api_schema(document, links),
        query_type=roots.get("query", "Query"),
        mutation_type=roots.get("mutation"),
        subscription_type=roots.get("subscription"),
        access=read_access(document, links),
    )


def _root_types(document: DocumentNode) -> dict[str, str]:
    names = {d.name.value for d in document.definitions if isinstance(d, ObjectTypeDefinitionNode)}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            return {op.operation.value: op.type.name.value for op in definition.operation_types}
    return {op: name for op, name in _DEFAULT_ROOTS.items() if name in names}


_DEFAULT_ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


def _args(directive: ConstDirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


def parse_field_set(text: str) -> SelectionSetNode:
    """Parse a `join__FieldSet` string ("id org { id }") into a selection set."""
    operation = parse("{" + text + "}", no_location=True).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


class _Reader:
    """Reads join directives off the supergraph's definitions."""

    def __init__(self, links: Links, document: DocumentNode) -> None:
        self.join = links.prefix("join")
        self.document = document
        self.enum_to_name: dict[str, str] = {}

    def _directives(self, node: Any, suffix: str) -> list[dict[str, Any]]:
        name = f"{self.join}__{suffix}"
        return [_args(d) for d in node.directives or () if d.name.value == name]

    def _graph(self, args: Mapping[str, Any]) -> str | None:
        value = args.get("graph")
        return None if value is None else self.enum_to_name.get(str(value), str(value))

    def graphs(self, overrides: Mapping[str, str]) -> dict[str, Graph]:
        result: dict[str, Graph] = {}
        for definition in self.document.definitions:
            if not (
                isinstance(definition, EnumTypeDefinitionNode)
                and definition.name.value == f"{self.join}__Graph"
            ):
                continue
            for value in definition.values or ():
                (args,) = self._directives(value, "graph") or [{}]
                name = str(args.get("name", value.name.value.lower()))
                url = overrides.get(name, str(args.get("url", "")))
                self.enum_to_name[value.name.value] = name
                result[name] = Graph(value.name.value, name, url)
        return result

    def types(self, graphs: Mapping[str, Graph]) -> list[TypeInfo]:
        result = []
        for definition in self.document.definitions:
            kind = _KINDS.get(type(definition))
            if kind is None or not isinstance(definition, TypeDefinitionNode):
                continue
            if definition.name.value.startswith(f"{self.join}__"):
                continue
            result.append(self._type(definition, kind, graphs))
        return result

    def _type(
        self, node: TypeDefinitionNode, kind: TypeKind, graphs: Mapping[str, Graph]
    ) -> TypeInfo:
        in_graphs = self._type_graphs(node)
        if not in_graphs:
            in_graphs = {g: TypeInGraph(g) for g in graphs}
        owner = self._owner(node)
        fields: dict[str, FieldInfo] = {}
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            fields = {f.name.value: self._field(f, owner) for f in node.fields or ()}
        return TypeInfo(
            name=node.name.value,
            kind=kind,
            graphs=in_graphs,
            fields=fields,
            implements=self._implements(node, in_graphs),
            union_members=self._members(node, in_graphs),
            enum_values=self._enum_values(node, in_graphs),
        )

    def _type_graphs(self, node: TypeDefinitionNode) -> dict[str, TypeInGraph]:
        keys: dict[str, list[Key]] = {}
        flags: dict[str, tuple[bool, bool]] = {}
        for args in self._directives(node, "type"):
            graph = self._graph(args)
            if graph is None:
                continue
            keys.setdefault(graph, [])
            extension = bool(args.get("extension", False))
            interface_object = bool(args.get("isInterfaceObject", False))
            previous = flags.get(graph, (False, False))
            flags[graph] = (previous[0] or extension, previous[1] or interface_object)
            if args.get("key"):
                text = str(args["key"])
                resolvable = bool(args.get("resolvable", True))
                keys[graph].append(Key(graph, text, parse_field_set(text), resolvable))
        return {g: TypeInGraph(g, tuple(k), flags[g][0], flags[g][1]) for g, k in keys.items()}

    def _owner(self, node: TypeDefinitionNode) -> str | None:
        owners = self._directives(node, "owner")
        return self._graph(owners[0]) if owners else None

    def _field(self, node: FieldDefinitionNode, owner: str | None) -> FieldInfo:
        joins: dict[str, FieldInGraph] = {}
        declared = self._directives(node, "field")
        for args in declared:
            graph = self._graph(args)
            if graph is None:
                continue
            joins[graph] = FieldInGraph(
                graph=graph,
                requires=_optional_field_set(args.get("requires")),
                provides=_optional_field_set(args.get("provides")),
                type=args.get("type"),
                external=bool(args.get("external", False)),
                override=args.get("override"),
                used_overridden=bool(args.get("usedOverridden", False)),
                override_label=args.get("overrideLabel"),
            )
        if not joins and owner is not None:
            joins[owner] = FieldInGraph(owner)
        everywhere = not declared and not joins
        return FieldInfo(node.name.value, get_named_type_name(node), joins, everywhere)

    def _implements(
        self, node: TypeDefinitionNode, graphs: Mapping[str, TypeInGraph]
    ) -> dict[str, frozenset[str]]:
        if not isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            return {}
        declared = self._directives(node, "implements")
        if not declared:
            everywhere = frozenset(i.name.value for i in node.interfaces or ())
            return dict.fromkeys(graphs, everywhere)
        result: dict[str, set[str]] = {g: set() for g in graphs}
        for args in declared:
            graph = self._graph(args)
            if graph is not None:
                result.setdefault(graph, set()).add(str(args["interface"]))
        return {g: frozenset(v) for g, v in result.items()}

    def _members(
        self, node: TypeDefinitionNode, graphs: Mapping[str, TypeInGraph]
    ) -> dict[str, frozenset[str]]:
        if not isinstance(node, UnionTypeDefinitionNode):
            return {}
        declared = self._directives(node, "unionMember")
        if not declared:
            everywhere = frozenset(t.name.value for t in node.types or ())
            return dict.fromkeys(graphs, everywhere)
        result: dict[str, set[str]] = {g: set() for g in graphs}
        for args in declared:
            graph = self._graph(args)
            if graph is not None:
                result.setdefault(graph, set()).add(str(args["member"]))
        return {g: frozenset(v) for g, v in result.items()}

    def _enum_values(
        self, node: TypeDefinitionNode, graphs: Mapping[str, TypeInGraph]
    ) -> dict[str, frozenset[str]]:
        if not isinstance(node, EnumTypeDefinitionNode):
            return {}
        result: dict[str, set[str]] = {g: set() for g in graphs}
        for value in node.values or ():
            declared = [self._graph(a) for a in self._directives(value, "enumValue")]
            for graph in declared or list(graphs):
                if graph is not None:
                    result.setdefault(graph, set()).add(value.name.value)
        return {g: frozenset(v) for g, v in result.items()}


def get_named_type_name(node: FieldDefinitionNode) -> str:
    type_node: Any = node.type
    while not hasattr(type_node, "name"):
        type_node = type_node.type
    return str(type_node.name.value)


def _optional_field_set(value: object) -> SelectionSetNode | None:
    return parse_field_set(str(value)) if value else None
