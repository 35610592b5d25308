"""@context and @fromContext rules inside one subgraph."""

from __future__ import annotations

from collections.abc import Iterator

from schema.context import ContextArgument, context_arguments, context_types, selection_on
from schema.errors import CompositionError, error
from schema.fieldset import FieldSetError
from schema.model import Subgraph, TypeDef


def validate_contexts(subgraph: Subgraph) -> Iterator[CompositionError]:
    """Context names, and every @fromContext naming a set context with a valid selection."""
    contexts = context_types(subgraph)
    for name in contexts:
        local = name.removeprefix(f"{subgraph.name}__")
        if "_" in local:
            yield _err(
                subgraph,
                "CONTEXT_NAME_INVALID",
                f'Context name "{local}" may not contain an underscore.',
                local,
            )
    for t in subgraph.types.values():
        for f in t.fields if t.kind in ("OBJECT", "INTERFACE") else ():
            for arg in context_arguments(subgraph, f):
                where = f"{t.name}.{f.name}({arg.name}:)"
                yield from _argument(subgraph, contexts, arg, where)


def _argument(
    subgraph: Subgraph, contexts: dict[str, list[TypeDef]], arg: ContextArgument, where: str
) -> Iterator[CompositionError]:
    if arg.context is None:
        yield _err(
            subgraph,
            "NO_CONTEXT_IN_SELECTION",
            f'@fromContext argument does not reference a context "{arg.selection}".',
            where,
        )
        return
    local = arg.context.removeprefix(f"{subgraph.name}__")
    if arg.context not in contexts:
        yield _err(
            subgraph,
            "CONTEXT_NOT_SET",
            f'Context "{local}" is used at location "{where}" but is never set.',
            where,
        )
        return
    for target in contexts[arg.context]:
        try:
            selection_on(subgraph, target, arg.selection)
        except FieldSetError as exc:
            yield _err(
                subgraph,
                "CONTEXT_INVALID_SELECTION",
                f'Context "{local}" is used in "{where}" but the selection is invalid for type '
                f"{target.name}: {exc}",
                where,
            )


def _err(subgraph: Subgraph, code: str, message: str, coordinate: str) -> CompositionError:
    return error(code, f"[{subgraph.name}] {message}", [subgraph.name], coordinate)
