"""Checks on the merged supergraph: interface fields implemented, @inaccessible consistency."""

from __future__ import annotations

from schema.errors import error
from schema.merge.access import validate_context_access, validate_requires_access
from schema.merge.context import Context
from schema.merge.inaccessible import validate_inaccessible
from schema.supergraph import SType


def validate_merged(ctx: Context, merged: dict[str, SType]) -> None:
    """Append errors for problems only visible once every subgraph is merged."""
    for t in merged.values():
        have = {f.name for f in t.fields}
        for itf_name in t.interfaces:
            itf = merged.get(itf_name)
            for f in itf.fields if itf else ():
                if f.name not in have:
                    ctx.errors.append(
                        error(
                            "INTERFACE_FIELD_NO_IMPLEM",
                            f'Interface field "{itf_name}.{f.name}" is declared in some subgraphs '
                            f'but type "{t.name}", which implements "{itf_name}", does not have '
                            f'field "{f.name}".',
                            [s.name for s in ctx.subgraphs if s.type(t.name)],
                            f"{t.name}.{f.name}",
                        )
                    )
    validate_requires_access(ctx, merged)
    validate_context_access(ctx, merged)
    if "inaccessible" in ctx.merged_directives:
        validate_inaccessible(ctx, merged)
