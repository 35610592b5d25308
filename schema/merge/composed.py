"""@composeDirective: custom directives carried into the supergraph with their @link."""

from __future__ import annotations

from graphql import print_ast

from schema.merge.context import Context, gql_string
from schema.model import DirectiveDef, Link
from schema.supergraph import Applied


def _link_for(links: tuple[Link, ...], name: str) -> tuple[Link, str] | None:
    for link in links:
        for original, local in link.imports.items():
            if local == "@" + name:
                return link, original
    return None


def composed_links(ctx: Context) -> tuple[list[Applied], tuple[str, ...]]:
    """(@link applications, directive definitions) for every composed directive.

    Each directive comes from the subgraph linking the newest version of its spec.
    """
    latest: dict[str, tuple[Link, str, DirectiveDef]] = {}
    for subgraph in ctx.subgraphs:
        for name in subgraph.compose_directives:
            found = _link_for(subgraph.links, name)
            definition = subgraph.directive_defs.get(name)
            if found is None or definition is None:
                continue
            current = latest.get(name)
            if current is None or current[0].version < found[0].version:
                latest[name] = (found[0], found[1], definition)
    imports: dict[str, tuple[Link, list[str]]] = {}
    for name, (link, original, _definition) in latest.items():
        local = gql_string("@" + name)
        entry = (
            local if original == "@" + name else f"{{name: {gql_string(original)}, as: {local}}}"
        )
        spec = imports.setdefault(link.identity, (link, []))
        if spec[0].version < link.version:
            imports[link.identity] = (link, spec[1])
        imports[link.identity][1].append(entry)
    links = [
        Applied("link", (("url", gql_string(link.url)), ("import", "[" + ", ".join(entries) + "]")))
        for link, entries in imports.values()
    ]
    return links, tuple(_print_definition(d) for _, _, d in latest.values())


def _print_definition(d: DirectiveDef) -> str:
    args = ""
    if d.args:
        parts = []
        for a in d.args:
            default = f" = {print_ast(a.default)}" if a.default is not None else ""
            parts.append(f"{a.name}: {a.type}{default}")
        args = "(" + ", ".join(parts) + ")"
    repeatable = " repeatable" if d.repeatable else ""
    return f"directive @{d.name}{args}{repeatable} on {' | '.join(d.locations)}"
