"""@interfaceObject: fields an interface object adds reach every implementation."""

from __future__ import annotations

from dataclasses import replace

from schema.merge.context import Context
from schema.supergraph import Applied, SType, SValue


def _provided_by_interface_object(ctx: Context, field: str, interface: str) -> bool:
    return any(
        (t := subgraph.type(interface)) is not None
        and interface in facts.interface_objects
        and t.field(field) is not None
        and not facts.is_external(interface, field)
        for subgraph, facts in zip(ctx.subgraphs, ctx.facts, strict=True)
    )


def add_interface_object_fields(ctx: Context, merged: dict[str, SType]) -> dict[str, SType]:
    """Copy interface fields provided through @interfaceObject onto implementations lacking them."""
    result = dict(merged)
    for name, t in merged.items():
        if t.kind != "OBJECT":
            continue
        added: list[SValue] = []
        have = {f.name for f in t.fields}
        for itf_name in t.interfaces:
            itf = merged.get(itf_name)
            for f in itf.fields if itf else ():
                if f.name in have or not _provided_by_interface_object(ctx, f.name, itf_name):
                    continue
                have.add(f.name)
                directives = tuple(d for d in f.directives if not d.name.startswith("join__"))
                added.append(replace(f, directives=(Applied("join__field"), *directives)))
        if added:
            result[name] = replace(t, fields=t.fields + tuple(added))
    return result
