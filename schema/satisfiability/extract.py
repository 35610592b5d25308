"""Read a supergraph SDL back into what each subgraph declares, as Apollo's extraction does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    print_ast,
    value_from_ast_untyped,
)

_KINDS: dict[type[Any], str] = {
    ObjectTypeDefinitionNode: "OBJECT",
    InterfaceTypeDefinitionNode: "INTERFACE",
    UnionTypeDefinitionNode: "UNION",
    EnumTypeDefinitionNode: "ENUM",
    InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    ScalarTypeDefinitionNode: "SCALAR",
}
BUILT_IN_SCALARS = ("String", "Int", "Float", "Boolean", "ID")


@dataclass(frozen=True)
class ContextArg:
    """A ``@fromContext`` argument of a field: its name, qualified context and selection."""

    name: str
    context: str
    selection: str


@dataclass(frozen=True)
class SubField:
    """A field as one subgraph declares it."""

    name: str
    type: str
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    override_from: str | None = None
    override_label: str | None = None
    overridden: bool = False
    shareable: bool = False
    contexts: tuple[ContextArg, ...] = ()


@dataclass(frozen=True)
class KeyDef:
    """One ``@key`` of a type in a subgraph."""

    fields: str
    resolvable: bool = True


@dataclass(frozen=True)
class SubType:
    """A type as one subgraph declares it; an @interfaceObject is an object here."""

    name: str
    kind: str
    fields: Mapping[str, SubField] = field(default_factory=dict)
    interfaces: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    keys: tuple[KeyDef, ...] = ()
    interface_object: bool = False

    @property
    def composite(self) -> bool:
        return self.kind in ("OBJECT", "INTERFACE", "UNION")


@dataclass(frozen=True, eq=False)
class SubgraphSchema:
    """One subgraph extracted from the supergraph."""

    name: str
    enum: str
    types: Mapping[str, SubType]
    _possible: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def type(self, name: str) -> SubType | None:
        return self.types.get(name)

    def possible(self, name: str) -> tuple[str, ...]:
        """Object types a value of type ``name`` may have in this subgraph."""
        found = self._possible.get(name)
        if found is None:
            found = self._possible[name] = self._compute_possible(name)
        return found

    def _compute_possible(self, name: str) -> tuple[str, ...]:
        t = self.types.get(name)
        if t is None:
            return ()
        if t.kind == "UNION":
            return t.members
        if t.kind == "INTERFACE":
            return tuple(
                o.name for o in self.types.values() if o.kind == "OBJECT" and name in o.interfaces
            )
        return (name,) if t.kind == "OBJECT" else ()

    def field(self, type_name: str, field_name: str) -> SubField | None:
        t = self.types.get(type_name)
        return t.fields.get(field_name) if t is not None else None

    def is_external(self, type_name: str, field_name: str) -> bool:
        f = self.field(type_name, field_name)
        return f is not None and (f.external or f.overridden)


@dataclass(frozen=True)
class ArgDef:
    """An argument or input field of the API schema, for example operations."""

    name: str
    type: str
    has_default: bool = False


@dataclass(frozen=True)
class SuperField:
    """A field of the supergraph."""

    name: str
    type: str
    args: tuple[ArgDef, ...] = ()
    inaccessible: bool = False
    resolving_joins: int = -1  # -1: no @join__field at all
    override_label: str | None = None


@dataclass(frozen=True)
class SuperType:
    """A type of the supergraph, @inaccessible elements included."""

    name: str
    kind: str
    fields: tuple[SuperField, ...] = ()
    interfaces: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    inaccessible: bool = False
    graphs: int = 0
    values: tuple[str, ...] = ()
    input_fields: tuple[ArgDef, ...] = ()
    contexts: tuple[str, ...] = ()

    def field(self, name: str) -> SuperField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, eq=False)
class Extracted:
    """The supergraph's types and roots, and each subgraph in join__Graph order."""

    types: Mapping[str, SuperType]
    roots: Mapping[str, str]
    subgraphs: tuple[SubgraphSchema, ...]

    def possible(self, name: str) -> tuple[str, ...]:
        """Object types of type ``name`` in the supergraph, in schema order."""
        t = self.types.get(name)
        if t is None:
            return ()
        if t.kind == "UNION":
            return t.members
        if t.kind == "INTERFACE":
            return tuple(
                o.name for o in self.types.values() if o.kind == "OBJECT" and name in o.interfaces
            )
        return (name,) if t.kind == "OBJECT" else ()

    def api_possible(self, name: str) -> tuple[str, ...]:
        """Object types of type ``name`` in the API schema (no @inaccessible ones)."""
        return tuple(t for t in self.possible(name) if not self.types[t].inaccessible)

    def kind(self, name: str) -> str:
        t = self.types.get(name)
        return t.kind if t is not None else "SCALAR"

    def by_name(self, name: str) -> SubgraphSchema:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, SubgraphSchema]:
        return {s.name: s for s in self.subgraphs}


def _args(d: ConstDirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}


def _applied(node: Any, name: str) -> list[dict[str, Any]]:
    return [_args(d) for d in node.directives or () if d.name.value == name]


def _has(node: Any, name: str) -> bool:
    return any(d.name.value == name for d in node.directives or ())


def _schema(document: DocumentNode) -> SchemaDefinitionNode | None:
    return next((d for d in document.definitions if isinstance(d, SchemaDefinitionNode)), None)


def _spec_prefixes(document: DocumentNode) -> set[str]:
    """Names of the linked specs (join, link, inaccessible…): their types are machinery."""
    prefixes = {"join", "link"}
    schema = _schema(document)
    for link in _applied(schema, "link") if schema else ():
        url = str(link.get("url", "")).rstrip("/")
        parts = url.split("/")
        name = parts[-2] if len(parts) >= 2 and parts[-1].startswith("v") else parts[-1]
        prefixes.add(str(link.get("as") or name))
    return prefixes


def _graphs(document: DocumentNode) -> list[tuple[str, str]]:
    """(enum value, subgraph name) of every join__Graph value."""
    for d in document.definitions:
        if isinstance(d, EnumTypeDefinitionNode) and d.name.value == "join__Graph":
            return [
                (v.name.value, str(_applied(v, "join__graph")[0]["name"])) for v in d.values or ()
            ]
    return []


def _roots(document: DocumentNode) -> dict[str, str]:
    schema = _schema(document)
    if schema is None:
        return {"query": "Query"}
    return {op.operation.value: op.type.name.value for op in schema.operation_types}


def extract(document: DocumentNode) -> Extracted:
    """Every subgraph's view of the supergraph ``document`` (join v0.2 and later)."""
    graphs = _graphs(document)
    prefixes = _spec_prefixes(document)
    definitions = [
        d
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode) and d.name.value.split("__")[0] not in prefixes
    ]
    types = {d.name.value: _super_type(d) for d in definitions}
    per_graph: dict[str, dict[str, SubType]] = {enum: {} for enum, _ in graphs}
    for d in definitions:
        for enum, sub in _sub_types(d, [g for g, _ in graphs]).items():
            per_graph[enum][sub.name] = sub
    for subs in per_graph.values():
        _complete_unions(subs, types, definitions)
        for scalar in BUILT_IN_SCALARS:
            subs.setdefault(scalar, SubType(scalar, "SCALAR"))
    subgraphs = tuple(SubgraphSchema(name, enum, per_graph[enum]) for enum, name in graphs)
    return Extracted(types, _roots(document), subgraphs)


def _arg_defs(nodes: Any) -> tuple[ArgDef, ...]:
    return tuple(
        ArgDef(a.name.value, print_ast(a.type), a.default_value is not None)
        for a in nodes or ()
        if not _has(a, "inaccessible")
    )


def _super_field(f: FieldDefinitionNode) -> SuperField:
    joins = _applied(f, "join__field")
    resolving = sum(1 for j in joins if not j.get("external") and not j.get("usedOverridden"))
    return SuperField(
        name=f.name.value,
        type=print_ast(f.type),
        args=_arg_defs(f.arguments),
        inaccessible=_has(f, "inaccessible"),
        resolving_joins=resolving if joins else -1,
        override_label=next(
            (str(j["overrideLabel"]) for j in joins if j.get("overrideLabel")), None
        ),
    )


def _super_type(d: TypeDefinitionNode) -> SuperType:
    kind = _KINDS[type(d)]
    composite = isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode)
    return SuperType(
        name=d.name.value,
        kind=kind,
        fields=tuple(_super_field(f) for f in d.fields or ()) if composite else (),  # type: ignore[attr-defined]
        interfaces=tuple(i.name.value for i in getattr(d, "interfaces", None) or ()),
        members=tuple(m.name.value for m in getattr(d, "types", None) or ()),
        inaccessible=_has(d, "inaccessible"),
        graphs=len({j["graph"] for j in _applied(d, "join__type")}),
        values=tuple(
            v.name.value
            for v in (d.values or () if isinstance(d, EnumTypeDefinitionNode) else ())
            if not _has(v, "inaccessible")
        ),
        input_fields=_arg_defs(d.fields) if isinstance(d, InputObjectTypeDefinitionNode) else (),
        contexts=tuple(str(c["name"]) for c in _applied(d, "context")),
    )


def _sub_types(d: TypeDefinitionNode, graphs: list[str]) -> dict[str, SubType]:
    kind = _KINDS[type(d)]
    in_graphs: dict[str, list[dict[str, Any]]] = {}
    for j in _applied(d, "join__type"):
        in_graphs.setdefault(str(j["graph"]), []).append(j)
    implements = _applied(d, "join__implements")
    members = _applied(d, "join__unionMember")
    found: dict[str, SubType] = {}
    for graph, applications in in_graphs.items():
        interface_object = any(a.get("isInterfaceObject") for a in applications)
        found[graph] = SubType(
            name=d.name.value,
            kind="OBJECT" if interface_object else kind,
            fields=_sub_fields(d, graph, len(in_graphs)),
            interfaces=tuple(str(i["interface"]) for i in implements if i["graph"] == graph),
            members=tuple(str(m["member"]) for m in members if m["graph"] == graph),
            keys=tuple(
                KeyDef(str(a["key"]), bool(a.get("resolvable", True)))
                for a in applications
                if a.get("key") is not None
            ),
            interface_object=interface_object,
        )
    del graphs
    return found


def _sub_fields(d: TypeDefinitionNode, graph: str, type_graphs: int) -> dict[str, SubField]:
    if not isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        return {}
    is_object = isinstance(d, ObjectTypeDefinitionNode)
    found: dict[str, SubField] = {}
    for f in d.fields or ():
        joins = _applied(f, "join__field")
        printed = print_ast(f.type)
        if not joins:
            found[f.name.value] = SubField(
                f.name.value, printed, shareable=is_object and type_graphs > 1
            )
            continue
        resolving = [j for j in joins if not j.get("external") and not j.get("usedOverridden")]
        for j in joins:
            if j.get("graph") == graph:
                found[f.name.value] = _sub_field(f.name.value, printed, j, len(resolving) > 1)
    return found


def _sub_field(name: str, printed: str, j: dict[str, Any], shared: bool) -> SubField:
    label = j.get("overrideLabel")
    external = bool(j.get("external"))
    overridden = bool(j.get("usedOverridden")) and not label
    return SubField(
        name=name,
        type=str(j.get("type") or printed),
        external=external,
        requires=j.get("requires"),
        provides=j.get("provides"),
        override_from=j.get("override"),
        override_label=label,
        overridden=overridden,
        shareable=shared and not external and not overridden,
        contexts=tuple(
            ContextArg(str(c["name"]), str(c["context"]), str(c["selection"]))
            for c in j.get("contextArguments") or ()
        ),
    )


def _complete_unions(
    subs: dict[str, SubType], types: Mapping[str, SuperType], definitions: list[TypeDefinitionNode]
) -> None:
    """A union without any @join__unionMember has, in each subgraph, the members defined there."""
    for d in definitions:
        name = d.name.value
        t = subs.get(name)
        if t is None or t.kind != "UNION" or _applied(d, "join__unionMember"):
            continue
        members = tuple(m for m in types[name].members if m in subs)
        subs[name] = SubType(name, "UNION", members=members, keys=t.keys)
