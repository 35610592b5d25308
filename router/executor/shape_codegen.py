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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .shape_plan import COPY, META, SCALAR, TYPENAME, Step

ObjectShaper = Callable[[Any, dict[str, Any], Any], Any]


def generate(steps: tuple[Step, ...], invalid: object) -> ObjectShaper:
    """A function ``(run, source, path) -> dict | invalid`` for ``steps``."""
    lines = ["def shape(run, source, path):", "    get = source.get"]
    entries: list[str] = []
    namespace: dict[str, Any] = {"INVALID": invalid}
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
            lines += [
                f"    v{index} = run.value(c{index}, s{index}, get({key}), (path, {out}))",
                f"    if v{index} is INVALID:",
                "        return INVALID",
            ]
            entries.append(f"{out}: v{index}")
    lines.append("    return {" + ", ".join(entries) + "}")
    exec(compile("\n".join(lines), "<shape>", "exec"), namespace)
    shaper: ObjectShaper = namespace["shape"]
    return shaper
