"""Upgrade Federation 1 subgraphs to Federation 2 the way Apollo's composition does first."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from schema.errors import CompositionError, CompositionFailed, error
from schema.facts import Facts, compute_facts, selections
from schema.fieldset import Selected, possible_types
from schema.model import Directive, Field, Subgraph, TypeDef, base_name

ROOTS = ("Query", "Mutation", "Subscription")
Originals = Mapping[str, tuple[Subgraph, Facts]]


def upgrade_all(subgraphs: Sequence[Subgraph]) -> tuple[list[Subgraph], list[CompositionError]]:
    """Every subgraph as Federation 2, with the errors the upgrade found."""
    if not any(s.fed1 for s in subgraphs):
        return list(subgraphs), []
    originals = {s.name: (s, compute_facts(s)) for s in subgraphs}
    upgraded: list[Subgraph] = []
    errors: list[CompositionError] = []
    for s in subgraphs:
        try:
            upgraded.append(upgrade(s, originals) if s.fed1 else s)
        except CompositionFailed as failed:
            errors.extend(failed.errors)
    return upgraded, errors


def upgrade(s: Subgraph, originals: Originals) -> Subgraph:
    """One Federation 1 subgraph, rewritten step by step as Apollo's schema upgrader does."""
    _check_extensions_have_base(s, originals)
    s = _map_types(s, _drop_external_on_interfaces_and_types)
    s = _map_types(s, lambda t: _drop_external_on_extension_keys(s, t, originals))
    s = _map_types(s, lambda t: _fix_inactive_provides_requires(s, t))
    s = _map_types(s, lambda t: _as_definition(t) if _is_extension(t) else t)
    s = _map_types(s, lambda t: _drop_on_interfaces_and_non_composites(s, t))
    s = _remove_unused_externals(s)
    s = _map_types(s, lambda t: _add_shareable(s, t, originals))
    return _map_types(s, lambda t: _drop_tag_on_external(s, t, originals))


def _map_types(s: Subgraph, change: Callable[[TypeDef], TypeDef]) -> Subgraph:
    return replace(s, types={name: change(t) for name, t in s.types.items()})


def _without(directives: tuple[Directive, ...], name: str) -> tuple[Directive, ...]:
    return tuple(d for d in directives if d.name != name)


def _field_without(f: Field, *names: str) -> Field:
    return replace(f, directives=tuple(d for d in f.directives if d.name not in names))


def _is_extension(t: TypeDef) -> bool:
    """A Federation 1 type extension (``extend type`` or @extends) of an object or interface."""
    if t.kind not in ("OBJECT", "INTERFACE"):
        return False
    extends = t.has("extends")
    return (t.has_extension or extends) and (extends or not t.has_definition)


def _check_extensions_have_base(s: Subgraph, originals: Originals) -> None:
    errors = []
    for t in s.types.values():
        if t.name in ROOTS or not _is_extension(t):
            continue
        others = [o.type(t.name) for name, (o, _) in originals.items() if name != s.name]
        if not any(o is not None and o.has_definition for o in others):
            errors.append(
                error(
                    "EXTENSION_WITH_NO_BASE",
                    f'[{s.name}] Type "{t.name}" is an extension type, but there is no type '
                    f'definition for "{t.name}" in any subgraph.',
                    [s.name],
                    t.name,
                )
            )
    if errors:
        raise CompositionFailed(errors)


def _drop_external_on_interfaces_and_types(t: TypeDef) -> TypeDef:
    if t.kind == "INTERFACE":
        return replace(t, fields=tuple(_field_without(f, "external") for f in t.fields))
    if t.kind == "OBJECT":
        return replace(t, directives=_without(t.directives, "external"))
    return t


def _drop_external_on_extension_keys(s: Subgraph, t: TypeDef, originals: Originals) -> TypeDef:
    """Key fields of extensions are not external in Federation 2: drop their @external."""
    if not _is_extension(t):
        return t
    keyed: set[str] = set()
    if t.has("key"):
        for key in t.applied("key"):
            keyed |= {x.field.name for x in selections(s, t, key) if x.parent == t.name}
    else:
        for name, (other, _) in originals.items():
            o = other.type(t.name)
            keys = o.applied("key") if o is not None and name != s.name else ()
            if keys and o is not None:
                keyed |= {x.field.name for x in selections(other, o, keys[0]) if x.parent == o.name}
    fields = tuple(_field_without(f, "external") if f.name in keyed else f for f in t.fields)
    return replace(t, fields=fields)


def _is_external(s: Subgraph, parent: str, field: Field) -> bool:
    if field.has("external"):
        return True
    t = s.type(parent)
    if t is None or t.kind != "INTERFACE":
        return False
    impls = (s.type(name) for name in possible_types(s, t))
    return any(i is not None and (f := i.field(field.name)) and f.has("external") for i in impls)


def _selects_local_leaf(s: Subgraph, selected: tuple[Selected, ...]) -> bool:
    return any(
        not _is_external(s, x.parent, x.field)
        and (not x.children or _selects_local_leaf(s, x.children))
        for x in selected
    )


def _external_only(s: Subgraph, selected: tuple[Selected, ...]) -> str:
    parts = []
    for x in selected:
        if _is_external(s, x.parent, x.field):
            parts.append(_print(x))
        elif x.children and (inner := _external_only(s, x.children)):
            parts.append(f"{x.field.name} {{ {inner} }}")
    return " ".join(parts)


def _print(x: Selected) -> str:
    inner = " ".join(_print(c) for c in x.children)
    return f"{x.field.name} {{ {inner} }}" if inner else x.field.name


def _fix_inactive_provides_requires(s: Subgraph, t: TypeDef) -> TypeDef:
    """@provides/@requires keep only external fields; ones selecting none are dropped."""
    if t.kind not in ("OBJECT", "INTERFACE"):
        return t
    fields = []
    for f in t.fields:
        directives = []
        for d in f.directives:
            target = t if d.name == "requires" else s.type(base_name(f.type))
            selected = (
                selections(s, target, d) if d.name in ("requires", "provides") and target else ()
            )
            if selected and _selects_local_leaf(s, selected):
                kept = _external_only(s, selected)
                if kept:
                    directives.append(_with_fields(d, kept))
                continue
            directives.append(d)
        fields.append(replace(f, directives=tuple(directives)))
    return replace(t, fields=tuple(fields))


def _with_fields(d: Directive, fields: str) -> Directive:
    from graphql import StringValueNode

    return replace(d, args=(("fields", StringValueNode(value=fields)),))


def _as_definition(t: TypeDef) -> TypeDef:
    return replace(
        t,
        has_definition=True,
        has_extension=False,
        directives=tuple(replace(d, on_extension=False) for d in t.directives),
        fields=tuple(replace(f, on_extension=False) for f in t.fields),
    )


def _drop_on_interfaces_and_non_composites(s: Subgraph, t: TypeDef) -> TypeDef:
    if t.kind == "INTERFACE":
        fields = tuple(_field_without(f, "provides", "requires") for f in t.fields)
        return replace(t, directives=_without(t.directives, "key"), fields=fields)
    if t.kind != "OBJECT":
        return t

    def composite(f: Field) -> bool:
        target = s.type(base_name(f.type))
        return target is not None and target.kind in ("OBJECT", "INTERFACE", "UNION")

    return replace(
        t, fields=tuple(f if composite(f) else _field_without(f, "provides") for f in t.fields)
    )


def _remove_unused_externals(s: Subgraph) -> Subgraph:
    facts = compute_facts(s)
    types: dict[str, TypeDef] = {}
    emptied = []
    for name, t in s.types.items():
        if t.kind not in ("OBJECT", "INTERFACE"):
            types[name] = t
            continue
        fields = tuple(
            f
            for f in t.fields
            if not facts.is_external(name, f.name) or (name, f.name) in facts.used
        )
        if fields or not t.fields:
            types[name] = replace(t, fields=fields)
        else:
            emptied.append(name)
    referenced = _referenced(types.values())
    errors = [
        error(
            "TYPE_WITH_ONLY_UNUSED_EXTERNAL",
            f"[{s.name}] Type {name} contains only external fields and all those fields are all "
            f"unused (they do not appear in any @key, @provides or @requires).",
            [s.name],
            name,
        )
        for name in emptied
        if name in referenced
    ]
    if errors:
        raise CompositionFailed(errors)
    return replace(s, types=types)


def _referenced(types: Iterable[TypeDef]) -> set[str]:
    found: set[str] = set()
    for t in types:
        found |= set(t.interfaces) | set(t.members)
        found |= {base_name(f.type) for f in t.fields} | {base_name(f.type) for f in t.input_fields}
        found |= {base_name(a.type) for f in t.fields for a in f.args}
    return found


def _add_shareable(s: Subgraph, t: TypeDef, originals: Originals) -> TypeDef:
    """Federation 1 shared everything: mark what other subgraphs also resolve @shareable."""
    if t.kind != "OBJECT" or t.name == "Subscription":
        return t
    others = [(o, facts) for name, (o, facts) in originals.items() if name != s.name]
    if not (t.has("key") or t.name in ROOTS):
        shared = any(_composite_in(o, t.name) for o, _ in others)
        if shared and not t.has("shareable"):
            return replace(t, directives=(*t.directives, Directive("shareable")))
        return t
    own = originals[s.name][1]
    fields = []
    for f in t.fields:
        resolved_elsewhere = any(
            _composite_in(o, t.name) and _resolves(o, facts, t.name, f.name) for o, facts in others
        )
        if resolved_elsewhere and not own.is_shareable(t.name, f.name) and not f.has("shareable"):
            f = replace(f, directives=(*f.directives, Directive("shareable")))
        fields.append(f)
    return replace(t, fields=tuple(fields))


def _composite_in(s: Subgraph, name: str) -> bool:
    t = s.type(name)
    return t is not None and t.kind in ("OBJECT", "INTERFACE")


def _resolves(s: Subgraph, facts: Facts, type_name: str, field: str) -> bool:
    t = s.type(type_name)
    if t is None or t.field(field) is None:
        return False
    return not facts.is_external(type_name, field) or (type_name, field) in facts.provided


def _drop_tag_on_external(s: Subgraph, t: TypeDef, originals: Originals) -> TypeDef:
    """A @tag on an external field is dropped when the owning subgraph carries the same tag."""
    if t.kind not in ("OBJECT", "INTERFACE"):
        return t
    fields = []
    for f in t.fields:
        if f.has("external") and f.has("tag"):
            owned = [
                d.printed_args()
                for name, (o, _) in originals.items()
                if name != s.name
                and (ot := o.type(t.name)) is not None
                and (of := ot.field(f.name)) is not None
                and not of.has("external")
                for d in of.applied("tag")
            ]
            f = replace(
                f,
                directives=tuple(
                    d for d in f.directives if d.name != "tag" or d.printed_args() not in owned
                ),
            )
        fields.append(f)
    return replace(t, fields=tuple(fields))
