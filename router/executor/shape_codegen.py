"""Generate one Python function per (selection set, runtime type): the shaping fast path.

For ``{ id name reviews { body } }`` on ``User`` it writes, in effect::

    def shape(run, source, path):
        get = source.get
        v0 = get("id")
        if v0 is None:
            run.null_error((path, "id"), "User.id")
            return INVALID
        v2 = run.value(c2, s2, get("reviews"), (path, "reviews"))
        if v2 is INVALID:
            return INVALID
        return {"id": v0, "name": get("name"), "reviews": v2}

Plain nullable scalars are copied inside the dict literal; only fields that can fail run
statements, in selection order, so errors come out in the same order as field by field.
Keys are embedded with ``repr`` (string literals), never as code. A step reads its data
key and writes its client key (they differ only for renamed ``__typename`` aliases).

Fields whose type is an object type, a list of objects or a list of scalars have a path
for well-formed data that skips the generic completion (``run.value``): the child object's
shaper is called directly, a list of objects is walked in a loop here, and a list of
scalars with no null where the items may not be null is taken as it is (its items would be
copied unchanged). When the data is not well formed (a null where none may be, a value of
the wrong kind), the errors that path appended are dropped and the field is completed the
generic way, so responses and errors are exactly those of ``run.value``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType

from .shape_plan import COPY, META, SCALAR, TYPENAME, Composite, Leaf, ListOf, NonNull, Step

ObjectShaper = Callable[[Any, dict[str, Any], Any], Any]
Build = Callable[[tuple[Step, ...]], ObjectShaper]

_MISS = object()  # the fast path did not apply: complete the generic way


def generate(steps: tuple[Step, ...], invalid: object, build: Build | None = None) -> ObjectShaper:
    """A function ``(run, source, path) -> dict | invalid`` for ``steps``; ``build`` makes
    child shapers (without it every composite field is completed by ``run.value``)."""
    lines = ["def shape(run, source, path):", "    get = source.get"]
    entries: list[str] = []
    namespace: dict[str, Any] = {"INVALID": invalid, "MISS": _MISS, "BUILD": build}
    for index, step in enumerate(steps):
        key, out = repr(step.key), repr(step.out)
        if step.kind in (COPY, META):
            entries.append(f"{out}: get({key})")
        elif step.kind == TYPENAME:
            entries.append(f"{out}: {step.typename!r}")
        elif step.kind == SCALAR:
            lines += [
                f"    v{index} = get({key})",
                f"    if v{index} is None:",
                f"        run.null_error((path, {out}), {step.coordinate!r})",
                "        return INVALID",
            ]
            entries.append(f"{out}: v{index}")
        else:
            namespace[f"c{index}"] = step.chain
            namespace[f"s{index}"] = step
            fast = _fast_path(index, step, namespace) if build is not None else None
            if fast is None:
                lines += [
                    f"    v{index} = run.value(c{index}, s{index}, get({key}), (path, {out}))",
                ]
            else:
                lines += [f"    x{index} = get({key})", f"    v{index} = MISS", *fast]
                lines += [
                    f"    if v{index} is MISS:",
                    f"        v{index} = run.value(c{index}, s{index}, x{index}, (path, {out}))",
                ]
            lines += [f"    if v{index} is INVALID:", "        return INVALID"]
            entries.append(f"{out}: v{index}")
    lines.append("    return {" + ", ".join(entries) + "}")
    exec(compile("\n".join(lines), "<shape>", "exec"), namespace)
    shaper: ObjectShaper = namespace["shape"]
    return shaper


def _object_type(chain: Any) -> GraphQLObjectType | None:
    """The object type of a composite chain whose runtime type is its declared one."""
    if not isinstance(chain, Composite):
        return None
    declared = chain.selections.compiler.schema.type_map.get(chain.name)
    return declared if isinstance(declared, GraphQLObjectType) else None


def _fast_path(index: int, step: Step, namespace: dict[str, Any]) -> list[str] | None:
    """Statements setting ``v{index}`` from ``x{index}`` for well-formed data (else leaving
    it MISS, with no error added), or None when the field's type has no fast path."""
    i, out = index, repr(step.out)
    chain = step.chain
    inner = chain.of if isinstance(chain, NonNull) else chain
    runtime = _object_type(inner)
    if runtime is not None:
        assert isinstance(inner, Composite)
        namespace[f"sel{i}"], namespace[f"rt{i}"] = inner.selections, runtime
        return [
            f"    if type(x{i}) is dict:",
            f"        m{i} = len(run.errors)",
            f"        f{i} = sel{i}.function(rt{i}, run.variables, BUILD)",
            f"        v{i} = f{i}(run, x{i}, (path, {out}))",
            f"        if v{i} is INVALID:",
            f"            del run.errors[m{i}:]",
            f"            v{i} = MISS",
        ]
    if not isinstance(inner, ListOf):
        return None
    item = inner.of
    nullable_items = not isinstance(item, NonNull)
    item_inner = item if nullable_items else item.of  # type: ignore[union-attr]
    if isinstance(item_inner, Leaf):
        if item_inner.allowed is not None:  # enum values are checked item by item
            return None
        check = "" if nullable_items else f" and None not in x{i}"
        return [f"    if type(x{i}) is list{check}:", f"        v{i} = x{i}"]
    runtime = _object_type(item_inner)
    if runtime is None:
        return None
    assert isinstance(item_inner, Composite)
    namespace[f"sel{i}"], namespace[f"rt{i}"] = item_inner.selections, runtime
    none_item = [f"            elif e{i} is None:", f"                a{i}(None)"]
    return [
        f"    if type(x{i}) is list:",
        f"        f{i} = sel{i}.function(rt{i}, run.variables, BUILD)",
        f"        m{i} = len(run.errors)",
        f"        p{i} = (path, {out})",
        f"        l{i} = []",
        f"        a{i} = l{i}.append",
        f"        for n{i}, e{i} in enumerate(x{i}):",
        f"            if type(e{i}) is dict:",
        f"                r{i} = f{i}(run, e{i}, (p{i}, n{i}))",
        f"                if r{i} is INVALID:",
        "                    break",
        f"                a{i}(r{i})",
        *(none_item if nullable_items else []),
        "            else:",
        "                break",
        "        else:",
        f"            v{i} = l{i}",
        f"        if v{i} is MISS:",
        f"            del run.errors[m{i}:]",
    ]
