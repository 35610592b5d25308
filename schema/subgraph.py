"""Parse one subgraph SDL into the composition model: links, canonical directive names, roots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLSyntaxError,
    StringValueNode,
    TypeDefinitionNode,
    parse,
)

from schema.errors import CompositionFailed, error
from schema.graphql_rules import validate_graphql
from schema.links import (
    canonical_names,
    check_federation_link,
    invalid,
    links,
    local_name,
    schema_directives,
)
from schema.model import DirectiveDef, Link, Subgraph, TypeDef
from schema.specs import FEATURE_SPECS, FEDERATION_IDENTITY
from schema.subgraph_types import DEFAULT_ROOTS, build_types, input_values, root_renames

FEDERATION1 = Link(
    url=FEDERATION_IDENTITY + "/v2.0",
    identity=FEDERATION_IDENTITY,
    name="federation",
    version=(2, 0),
    imports={
        f"@{n}": f"@{n}" for n in ("key", "requires", "provides", "external", "tag", "extends")
    },
)
"""What a Federation 1 subgraph (no @link) may use: the legacy directives under plain names."""


def parse_subgraph(name: str, url: str, sdl: str) -> Subgraph:
    """The validated model of one subgraph; CompositionFailed(INVALID_GRAPHQL…) if unusable."""
    try:
        document = parse(sdl)
    except GraphQLSyntaxError as exc:
        raise CompositionFailed([invalid(name, exc.message)]) from None
    all_links = links(name, document)
    federation = next((ln for ln in all_links if ln.identity == FEDERATION_IDENTITY), None)
    fed1 = federation is None
    if federation is None:
        federation = FEDERATION1
    else:
        check_federation_link(name, federation)
    names = canonical_names(federation, all_links)
    validate_graphql(name, document, names, all_links, federation.version)
    _check_root_names(name, document)
    types, roots = build_types(document, names)
    types = {n: _prefix_contexts(name, t) for n, t in types.items()}
    directive_defs = _directive_defs(document, names)
    composed = _compose_directives(document, names)
    _check_composed(name, composed, names, all_links, directive_defs)
    return Subgraph(
        name=name,
        url=url,
        types=types,
        federation_version=federation.version,
        links=all_links,
        directive_defs=directive_defs,
        compose_directives=composed,
        roots=roots,
        feature_names={c: local_name(federation, c, all_links) for c in FEATURE_SPECS},
        fed1=fed1,
        defined_directives=tuple(
            names.get(d.name.value, d.name.value)
            for d in document.definitions
            if isinstance(d, DirectiveDefinitionNode)
        ),
    )


def _prefix_contexts(subgraph: str, t: TypeDef) -> TypeDef:
    """@context names are per subgraph; the supergraph spells them ``subgraph__name``."""
    if not t.has("context"):
        return t
    directives = tuple(
        replace(d, args=(("name", StringValueNode(value=f"{subgraph}__{d.string('name')}")),))
        if d.name == "context"
        else d
        for d in t.directives
    )
    return replace(t, directives=directives)


def _check_root_names(subgraph: str, document: DocumentNode) -> None:
    """A root type under another name must not leave a type with the default name around."""
    defined = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
    for op, root in root_renames(document).items():
        default = DEFAULT_ROOTS[op]
        if default in defined:
            raise CompositionFailed(
                [
                    error(
                        f"ROOT_{op.upper()}_USED",
                        f'[{subgraph}] The schema has a type named "{default}" but it is not set '
                        f'as the {op} root type ("{root}" is instead): this is not supported by '
                        f"federation.",
                        [subgraph],
                        default,
                    )
                ]
            )


def _compose_directives(document: DocumentNode, names: Mapping[str, str]) -> tuple[str, ...]:
    found = []
    for directive in schema_directives(document):
        if names.get(directive.name.value) != "composeDirective":
            continue
        for arg in directive.arguments or ():
            if arg.name.value == "name" and isinstance(arg.value, StringValueNode):
                found.append(arg.value.value.lstrip("@"))
    return tuple(found)


def _check_composed(
    subgraph: str,
    composed: tuple[str, ...],
    names: Mapping[str, str],
    all_links: tuple[Link, ...],
    defs: Mapping[str, DirectiveDef],
) -> None:
    """Only directives defined here and imported from a linked (non-federation) spec compose."""
    problems = []
    for name in composed:
        linked = any("@" + name in ln.imports.values() for ln in all_links)
        if name in names:
            problems.append(
                f'Composing federation directive "@{name}" in subgraph "{subgraph}" is not '
                f"supported"
            )
        elif name not in defs:
            problems.append(
                f"Could not find matching directive definition for argument to @composeDirective "
                f'"@{name}" in subgraph "{subgraph}".'
            )
        elif not linked:
            problems.append(
                f'Directive "@{name}" in subgraph "{subgraph}" cannot be composed because it is '
                f"not a member of a core feature"
            )
    if problems:
        raise CompositionFailed(
            [error("DIRECTIVE_COMPOSITION_ERROR", p, [subgraph], None) for p in problems]
        )


def _directive_defs(document: DocumentNode, names: Mapping[str, str]) -> dict[str, DirectiveDef]:
    defs = {}
    for d in document.definitions:
        if isinstance(d, DirectiveDefinitionNode) and d.name.value not in names:
            defs[d.name.value] = DirectiveDef(
                name=d.name.value,
                locations=tuple(loc.value for loc in d.locations),
                repeatable=d.repeatable,
                args=input_values(d.arguments, names, {}),
                description=d.description.value if d.description else None,
            )
    return defs
