"""@inaccessible rules: what the API schema would lose must not leave it broken."""

from __future__ import annotations

from collections.abc import Iterator

from schema.errors import CompositionError, error
from schema.merge.context import Context
from schema.model import base_name
from schema.supergraph import SType, SValue

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def _hidden(element: SType | SValue) -> bool:
    return any(d.name == "inaccessible" for d in element.directives)


def validate_inaccessible(ctx: Context, merged: dict[str, SType]) -> None:
    """Append every @inaccessible violation."""
    hidden = {name for name, t in merged.items() if _hidden(t)}
    query = merged.get("Query")
    if query is not None and _hidden(query):
        ctx.errors.append(
            error(
                "QUERY_ROOT_TYPE_INACCESSIBLE",
                'Type "Query" is @inaccessible but is the root query type, which must be in the '
                "API schema.",
                coordinate="Query",
            )
        )
    for t in merged.values():
        if t.name in hidden:
            continue
        ctx.errors.extend(_type_errors(t, hidden, merged))


def _type_errors(
    t: SType, hidden: set[str], merged: dict[str, SType]
) -> Iterator[CompositionError]:
    children = t.fields if t.kind != "UNION" else ()
    if t.kind == "UNION" and t.members and all(m in hidden for m in t.members):
        yield error(
            "ONLY_INACCESSIBLE_CHILDREN",
            f'Type "{t.name}" is in the API schema but all of its members are inaccessible.',
            coordinate=t.name,
        )
    if children and all(_hidden(f) for f in children):
        what = "values" if t.kind == "ENUM" else "fields"
        yield error(
            "ONLY_INACCESSIBLE_CHILDREN",
            f'Type "{t.name}" is in the API schema but all of its {what} are @inaccessible.',
            coordinate=t.name,
        )
    for f in children:
        coordinate = f"{t.name}.{f.name}"
        if _hidden(f):
            if t.kind == "INPUT_OBJECT" and f.type.endswith("!") and f.default is None:
                yield error(
                    "REQUIRED_INACCESSIBLE",
                    f'Input field "{coordinate}" is @inaccessible but is a required input field of '
                    f"its type.",
                    coordinate=coordinate,
                )
            if t.kind == "OBJECT":
                yield from _implemented_by_hidden(t, f, merged)
            continue
        if t.kind != "ENUM" and base_name(f.type) in hidden:
            yield error(
                "REFERENCED_INACCESSIBLE",
                f'Type "{base_name(f.type)}" is @inaccessible but is referenced by "{coordinate}", '
                f"which is in the API schema.",
                coordinate=coordinate,
            )
        yield from _argument_errors(coordinate, f, hidden)


def _argument_errors(coordinate: str, f: SValue, hidden: set[str]) -> Iterator[CompositionError]:
    for a in f.args:
        arg = f"{coordinate}({a.name}:)"
        if _hidden(a):
            if a.type.endswith("!") and a.default is None:
                yield error(
                    "REQUIRED_INACCESSIBLE",
                    f'Argument "{arg}" is @inaccessible but is a required argument of its field.',
                    coordinate=arg,
                )
        elif base_name(a.type) in hidden:
            yield error(
                "REFERENCED_INACCESSIBLE",
                f'Type "{base_name(a.type)}" is @inaccessible but is referenced by "{arg}", which '
                f"is in the API schema.",
                coordinate=arg,
            )


def _implemented_by_hidden(
    t: SType, f: SValue, merged: dict[str, SType]
) -> Iterator[CompositionError]:
    for itf_name in t.interfaces:
        itf = merged.get(itf_name)
        if itf is None or _hidden(itf):
            continue
        itf_field = next((g for g in itf.fields if g.name == f.name), None)
        if itf_field is not None and not _hidden(itf_field):
            yield error(
                "IMPLEMENTED_BY_INACCESSIBLE",
                f'Field "{t.name}.{f.name}" is @inaccessible but implements the interface field '
                f'"{itf_name}.{f.name}", which is in the API schema.',
                coordinate=f"{t.name}.{f.name}",
            )
