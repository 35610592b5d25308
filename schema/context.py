"""@context/@fromContext (Federation 2.8): which arguments a field takes from an ancestor."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from schema.fieldset import FieldSetError, Selected, parse_fieldset
from schema.model import Field, InputValue, Subgraph, TypeDef

_CONTEXT = re.compile(
    r"^(?:[\n\r\t ,]|#[^\n\r]*)*\$(?:[\n\r\t ,]|#[^\n\r]*)*([A-Za-z_]\w*)([\s\S]*)$"
)


@dataclass(frozen=True)
class ContextArgument:
    """An argument filled from a context: its name, type, context and selection."""

    name: str
    type: str
    context: str | None
    selection: str


def context_arguments(subgraph: Subgraph, field: Field) -> Iterator[ContextArgument]:
    """The @fromContext arguments of ``field``, with their context named as in the supergraph."""
    for arg in field.args:
        yield from _from_context(subgraph, arg)


def _from_context(subgraph: Subgraph, arg: InputValue) -> Iterator[ContextArgument]:
    for d in arg.applied("fromContext"):
        match = _CONTEXT.match(d.string("field") or "")
        context = f"{subgraph.name}__{match[1]}" if match else None
        yield ContextArgument(arg.name, arg.type, context, match[2] if match else "")


def is_contextual(arg: InputValue | None) -> bool:
    return arg is not None and arg.has("fromContext")


def context_types(subgraph: Subgraph) -> dict[str, list[TypeDef]]:
    """Supergraph context name (``subgraph__name``) → the types that set it."""
    found: dict[str, list[TypeDef]] = {}
    for t in subgraph.types.values():
        for d in t.applied("context"):
            found.setdefault(d.string("name") or "", []).append(t)
    return found


def selection_on(subgraph: Subgraph, t: TypeDef, selection: str) -> tuple[Selected, ...]:
    """The context selection (``{ a b }`` or ``a``) resolved on ``t``; FieldSetError if not."""
    text = selection.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if t.kind == "UNION" and not text.strip().startswith("..."):
        raise FieldSetError(f'Cannot query field on union type "{t.name}"')
    return parse_fieldset(subgraph, t, text)
