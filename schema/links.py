"""@link on a subgraph: spec URLs, imports, and the canonical name of each federation element."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from graphql import (
    DirectiveNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    print_ast,
)

from schema.errors import CompositionError, CompositionFailed, error
from schema.model import Link
from schema.specs import FEDERATION_DIRECTIVES, FEDERATION_TYPES, LATEST_FEDERATION, LINK_IDENTITY

_URL = re.compile(r"^(?P<identity>.*)/(?P<name>[^/]+)/v(?P<major>\d+)\.(?P<minor>\d+)/?$")
_TYPE_SINCE = {"FieldSet": (2, 0), "Scope": (2, 5), "Policy": (2, 6), "ContextFieldValue": (2, 8)}


def invalid(subgraph: str, message: str, code: str = "INVALID_GRAPHQL") -> CompositionError:
    return error(code, f"[{subgraph}] {message}", [subgraph])


def schema_directives(document: DocumentNode) -> Iterable[DirectiveNode]:
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            yield from definition.directives or ()


def links(subgraph: str, document: DocumentNode) -> tuple[Link, ...]:
    """Every ``@link`` on the schema definition or its extensions."""
    found = []
    for directive in schema_directives(document):
        if directive.name.value != "link":
            continue
        args = {a.name.value: a.value for a in directive.arguments or ()}
        url = args.get("url")
        match = _URL.match(url.value) if isinstance(url, StringValueNode) else None
        if match is None:
            raise CompositionFailed([invalid(subgraph, "invalid @link(url:)")])
        alias = args.get("as")
        found.append(
            Link(
                url=match.string,
                identity=match["identity"] + "/" + match["name"],
                name=alias.value if isinstance(alias, StringValueNode) else match["name"],
                version=(int(match["major"]), int(match["minor"])),
                imports=_imports(subgraph, args.get("import")),
            )
        )
    return tuple(found)


def _imports(subgraph: str, value: object) -> Mapping[str, str]:
    """Imported element (``@key``, ``FieldSet``) → its local name."""
    imports: dict[str, str] = {}
    for item in value.values if isinstance(value, ListValueNode) else ():
        if isinstance(item, StringValueNode):
            imports[item.value] = item.value
            continue
        fields = (
            {f.name.value: f.value for f in item.fields}
            if isinstance(item, ObjectValueNode)
            else {}
        )
        original, alias = fields.get("name"), fields.get("as")
        if not isinstance(original, StringValueNode):
            raise CompositionFailed(
                [
                    invalid(
                        subgraph,
                        f"Invalid sub-value {print_ast(item)} for @link(import:) argument: "
                        f"values should be "
                        "either strings or input object values of the form "
                        '{ name: "<importedElement>", '
                        'as: "<alias>" }.',
                        "INVALID_LINK_DIRECTIVE_USAGE",
                    )
                ]
            )
        imports[original.value] = (
            alias.value if isinstance(alias, StringValueNode) else original.value
        )
    return imports


def check_federation_link(subgraph: str, federation: Link) -> None:
    """A known federation version, importing only what that version defines."""
    major, minor = federation.version
    if federation.version > LATEST_FEDERATION or major != 2:
        raise CompositionFailed(
            [
                invalid(
                    subgraph,
                    f"Invalid version v{major}.{minor} for the federation feature in @link "
                    f"direction on schema",
                    "UNKNOWN_FEDERATION_LINK_VERSION",
                )
            ]
        )
    known = {f"@{s.name}" for s in FEDERATION_DIRECTIVES if s.since <= federation.version}
    known |= {t for t, since in _TYPE_SINCE.items() if since <= federation.version}
    unknown = [name for name in federation.imports if name not in known]
    if unknown:
        raise CompositionFailed(
            [
                invalid(
                    subgraph,
                    f'Cannot import unknown element "{name}".',
                    "INVALID_LINK_DIRECTIVE_USAGE",
                )
                for name in unknown
            ]
        )


def canonical_names(federation: Link, all_links: Sequence[Link]) -> dict[str, str]:
    """Local directive or type name → canonical federation name (``@federation__key`` → key)."""
    names: dict[str, str] = {}
    for spec in FEDERATION_DIRECTIVES:
        if spec.since > federation.version:
            continue
        names[f"{federation.name}__{spec.name}"] = spec.name
        local = federation.imports.get("@" + spec.name)
        if local:
            names[local.lstrip("@")] = spec.name
    for type_name in FEDERATION_TYPES:
        names[f"{federation.name}__{type_name}"] = type_name
        local = federation.imports.get(type_name)
        if local:
            names[local] = type_name
    for spec_link in all_links:
        feature = _DIRECT_SPECS.get(spec_link.identity)
        if feature is not None:
            names.setdefault(spec_link.name, feature)
            imported = spec_link.imports.get("@" + feature)
            if imported:
                names.setdefault(imported.lstrip("@"), feature)
    link = next((ln for ln in all_links if ln.identity == LINK_IDENTITY), None)
    names[link.name if link else "link"] = "link"
    return names


# Access-control specs a subgraph may also @link directly (their directive has the spec's name).
_DIRECT_SPECS = {
    f"https://specs.apollo.dev/{name}": name
    for name in ("authenticated", "requiresScopes", "policy")
}


def local_name(federation: Link, canonical: str, all_links: Sequence[Link] = ()) -> str:
    """The name a subgraph uses for a federation directive: imported from the federation spec,
    else from its own spec's @link, else namespaced (``federation__authenticated``)."""
    imported = federation.imports.get("@" + canonical)
    if imported:
        return imported.lstrip("@")
    for spec_link in all_links:
        if _DIRECT_SPECS.get(spec_link.identity) == canonical:
            own = spec_link.imports.get("@" + canonical)
            return own.lstrip("@") if own else spec_link.name
    return f"{federation.name}__{canonical}"
