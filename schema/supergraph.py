"""The composed supergraph as data, and its printer in the layout Apollo's composition uses."""

from __future__ import annotations

from dataclasses import dataclass

from schema.joinspec import directive_definitions, link_definitions

KEYWORDS = {
    "SCALAR": "scalar",
    "OBJECT": "type",
    "INTERFACE": "interface",
    "UNION": "union",
    "ENUM": "enum",
    "INPUT_OBJECT": "input",
}


@dataclass(frozen=True)
class Applied:
    """A directive application with printed argument values, e.g. ``@join__type(graph: A)``."""

    name: str
    args: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        if not self.args:
            return f"@{self.name}"
        return f"@{self.name}(" + ", ".join(f"{k}: {v}" for k, v in self.args) + ")"


@dataclass(frozen=True)
class SValue:
    """An argument, input field, enum value or field of the supergraph."""

    name: str
    type: str = ""
    description: str | None = None
    directives: tuple[Applied, ...] = ()
    default: str | None = None
    args: tuple[SValue, ...] = ()


@dataclass(frozen=True)
class SType:
    """A supergraph type; ``fields`` holds fields, input fields or enum values by kind."""

    kind: str
    name: str
    description: str | None = None
    directives: tuple[Applied, ...] = ()
    interfaces: tuple[str, ...] = ()
    fields: tuple[SValue, ...] = ()
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Supergraph:
    """Everything printed: schema links, root types, extra directive definitions, types."""

    links: tuple[Applied, ...]
    roots: tuple[tuple[str, str], ...]
    join_version: tuple[int, int]
    types: tuple[SType, ...]
    graphs: tuple[tuple[str, str, str], ...]
    extra_directives: tuple[str, ...] = ()
    extra_types: tuple[str, ...] = ()
    features: tuple[tuple[str, str], ...] = ()


def print_supergraph(s: Supergraph) -> str:
    """The supergraph SDL: schema, directive definitions, then types, sorted by name."""
    directives = sorted(
        [*directive_definitions(s.join_version, dict(s.features)), *s.extra_directives],
        key=lambda d: sort_key(d.split("directive @", 1)[1].split("(")[0].split(" ")[0]),
    )
    named = [(t.name, print_type(t)) for t in s.types]
    named += list(link_definitions(s.join_version, s.graphs))
    named += [(text.split()[1], text) for text in s.extra_types]
    types = [text for _, text in sorted(named, key=lambda item: sort_key(item[0]))]
    return "\n\n".join([_schema(s), *directives, *types]) + "\n"


def sort_key(name: str) -> tuple[str, str]:
    """Roughly JavaScript's ``localeCompare``: case-insensitive, lower case first on ties."""
    return name.lower(), name.swapcase()


def _schema(s: Supergraph) -> str:
    links = "".join(f"\n  {link}" for link in s.links)
    roots = "".join(f"\n  {op}: {name}" for op, name in s.roots)
    return f"schema{links}\n{{{roots}\n}}"


def description(text: str | None, indent: str = "", first: bool = True) -> str:
    """A block-string description the way Apollo prints it, with a trailing newline."""
    if text is None:
        return ""
    multiline = "\n" in text or text.endswith(('"', "\\")) or len(text) > 70
    body = text
    if multiline and not ("\n" not in text and text.startswith((" ", "\t"))):
        body = "\n" + body
    if multiline:
        body += "\n"
    block = '"""' + body.replace('"""', '\\"""') + '"""'
    prefix = "\n" + indent if indent and not first else indent
    return prefix + block.replace("\n", "\n" + indent) + "\n"


def _directives(applied: tuple[Applied, ...], on_new_lines: bool, end_with_newline: bool) -> str:
    if not applied:
        return ""
    if not on_new_lines:
        return " " + " ".join(str(d) for d in applied)
    return "\n  " + "\n  ".join(str(d) for d in applied) + ("\n" if end_with_newline else "")


def print_type(t: SType) -> str:
    """One type definition in Apollo's layout."""
    head = description(t.description) + KEYWORDS[t.kind] + " " + t.name
    if t.kind == "SCALAR":
        return head + _directives(t.directives, True, False)
    if t.kind == "UNION":
        members = " = " + " | ".join(t.members) if t.members else ""
        return head + _directives(t.directives, True, bool(t.members)) + members
    if t.interfaces:
        head += " implements " + " & ".join(t.interfaces)
    body = [_member(t.kind, f, i == 0) for i, f in enumerate(t.fields)]
    block = "{\n" + "\n".join(body) + "\n}" if body else ""
    gap = " " if not t.directives and body else ""
    return head + _directives(t.directives, True, bool(body)) + gap + block


def _member(kind: str, f: SValue, first: bool) -> str:
    text = description(f.description, "  ", first) + "  " + f.name
    if kind in ("OBJECT", "INTERFACE"):
        text += _args(f.args) + ": " + f.type
    elif kind == "INPUT_OBJECT":
        text += ": " + f.type + (f" = {f.default}" if f.default is not None else "")
    return text + _directives(f.directives, False, False)


def _args(args: tuple[SValue, ...], indent: str = "  ") -> str:
    if not args:
        return ""
    if all(not a.description for a in args):
        return "(" + ", ".join(_arg(a) for a in args) + ")"
    lines = [
        description(a.description, "  " + indent, i == 0) + "  " + indent + _arg(a)
        for i, a in enumerate(args)
    ]
    return "(\n" + "\n".join(lines) + "\n" + indent + ")"


def _arg(a: SValue) -> str:
    default = f" = {a.default}" if a.default is not None else ""
    return f"{a.name}: {a.type}{default}" + _directives(a.directives, False, False)
