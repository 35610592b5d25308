"""Per-subgraph facts the merge rules ask about: external, provided, shareable, used fields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from schema.fieldset import FieldSetError, Selected, parse_fieldset, possible_types, targets
from schema.model import Directive, Subgraph, TypeDef, base_name

Coord = tuple[str, str]


@dataclass(frozen=True)
class Facts:
    """What one subgraph says about its fields, computed once."""

    external: frozenset[Coord]
    provided: frozenset[Coord]
    shareable: frozenset[Coord]
    used: frozenset[Coord]
    interface_objects: frozenset[str]

    def is_external(self, type_name: str, field: str) -> bool:
        return (type_name, field) in self.external

    def is_fully_external(self, type_name: str, field: str) -> bool:
        coord = (type_name, field)
        return coord in self.external and coord not in self.provided

    def is_shareable(self, type_name: str, field: str) -> bool:
        return (type_name, field) in self.shareable


def selections(subgraph: Subgraph, t: TypeDef, directive: Directive) -> tuple[Selected, ...]:
    """The resolved ``fields:`` of ``directive`` on ``t``, or nothing if it does not resolve."""
    try:
        return parse_fieldset(subgraph, t, directive.string("fields") or "")
    except FieldSetError:
        return ()


def _composite(t: TypeDef) -> bool:
    return t.kind in ("OBJECT", "INTERFACE")


def field_directives(subgraph: Subgraph, name: str) -> Iterator[tuple[TypeDef, TypeDef, Directive]]:
    """(parent type, target type, directive) for each @requires or @provides in the subgraph."""
    for t in subgraph.types.values():
        for f in t.fields if _composite(t) else ():
            for d in f.applied(name):
                target = t if name == "requires" else subgraph.type(base_name(f.type))
                if target is not None:
                    yield t, target, d


def key_targets(subgraph: Subgraph, with_implementations: bool = True) -> set[Coord]:
    found: set[Coord] = set()
    for t in subgraph.types.values():
        for key in t.applied("key"):
            sel = selections(subgraph, t, key)
            found |= (
                targets(subgraph, sel)
                if with_implementations
                else {(s.parent, s.field.name) for s in sel}
            )
    return found


def _fake_externals(subgraph: Subgraph) -> set[Coord]:
    found: set[Coord] = set()
    for t in subgraph.types.values():
        for key in t.applied("key"):
            if key.on_extension or t.has("extends"):
                for s in selections(subgraph, t, key):
                    if s.field.has("external"):
                        found.add((t.name, s.field.name))
    return found


def compute_facts(subgraph: Subgraph) -> Facts:
    """Facts for one subgraph (invalid field sets are ignored here; validation reports them)."""
    fake = _fake_externals(subgraph)
    external = {
        (t.name, f.name)
        for t in subgraph.types.values()
        if _composite(t)
        for f in t.fields
        if f.has("external") or (t.kind == "OBJECT" and t.has("external") and not subgraph.fed1)
    } - fake
    provided: set[Coord] = set()
    for _, target, d in field_directives(subgraph, "provides"):
        provided |= targets(subgraph, selections(subgraph, target, d))
    required: set[Coord] = set()
    for _, target, d in field_directives(subgraph, "requires"):
        required |= targets(subgraph, selections(subgraph, target, d))
    keys = key_targets(subgraph)
    required |= _context_targets(subgraph)
    return Facts(
        external=frozenset(external),
        provided=frozenset(provided),
        shareable=frozenset(keys | _marked_shareable(subgraph) | (provided & external)),
        used=frozenset(keys | required | provided | _implementation_fields(subgraph)),
        interface_objects=frozenset(
            t.name
            for t in subgraph.types.values()
            if t.kind == "OBJECT" and t.has("interfaceObject")
        ),
    )


def _marked_shareable(subgraph: Subgraph) -> set[Coord]:
    found: set[Coord] = set()
    for t in subgraph.types.values():
        if t.kind != "OBJECT":
            continue
        on_type = t.applied("shareable")
        for f in t.fields:
            if f.has("shareable") or any(d.on_extension == f.on_extension for d in on_type):
                found.add((t.name, f.name))
    return found


def _implementation_fields(subgraph: Subgraph) -> set[Coord]:
    found: set[Coord] = set()
    for itf in subgraph.types.values():
        if itf.kind != "INTERFACE":
            continue
        for impl in possible_types(subgraph, itf):
            impl_type = subgraph.type(impl)
            for f in itf.fields:
                if impl_type is not None and impl_type.field(f.name):
                    found.add((impl, f.name))
    return found


def _context_targets(subgraph: Subgraph) -> set[Coord]:
    """Fields a @fromContext selection reads on the types that set its context."""
    from schema.context import context_arguments, context_types, selection_on

    contexts = context_types(subgraph)
    found: set[Coord] = set()
    for t in subgraph.types.values():
        for f in t.fields if _composite(t) else ():
            for arg in context_arguments(subgraph, f):
                for target in contexts.get(arg.context or "", []):
                    try:
                        found |= targets(subgraph, selection_on(subgraph, target, arg.selection))
                    except FieldSetError:
                        continue
    return found
