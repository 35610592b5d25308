"""@interfaceObject: fields an interface object adds reach every implementation."""

from __future__ import annotations

from dataclasses import replace

from schema.merge.applied import merged_applications
from schema.merge.context import Context
from schema.specs import ACCESS_CONTROL
from schema.supergraph import Applied, SType, SValue


def _provided_by_interface_object(ctx: Context, field: str, interface: str) -> bool:
    return any(
        (t := subgraph.type(interface)) is not None
        and interface in facts.interface_objects
        and t.field(field) is not None
        and not facts.is_external(interface, field)
        for subgraph, facts in zip(ctx.subgraphs, ctx.facts, strict=True)
    )


def _copied(ctx: Context, coordinate: str, f: SValue) -> tuple[Applied, ...]:
    """The directives of an interface field copied onto an implementation, as Apollo copies
    them: its own access control (from the @interfaceObject fields), the interface field's
    other directives, then a bare @join__field."""
    from schema.merge.fields import access_sources

    _, access = merged_applications(ctx, (), access_sources(ctx, coordinate), access_first=True)
    others = tuple(
        d for d in f.directives if not d.name.startswith("join__") and d.name not in ACCESS_CONTROL
    )
    return (*access, *others, Applied("join__field"))


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
                added.append(replace(f, directives=_copied(ctx, f"{name}.{f.name}", f)))
        if added:
            result[name] = replace(t, fields=t.fields + tuple(added))
    return result
