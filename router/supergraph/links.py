"""Read a supergraph's `@link`/`@core` declarations: which directive names mean what."""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import DocumentNode, SchemaDefinitionNode, value_from_ast_untyped

_SPEC_URL = re.compile(r"^https?://specs\.apollo\.dev/(?P<name>[^/]+)/v(?P<version>[\d.]+)")


@dataclass(frozen=True, slots=True)
class LinkedFeature:
    """One `@link`ed Apollo spec: its name, version and the prefix its elements use."""

    name: str
    version: str
    prefix: str
    imports: tuple[str, ...] = ()  # local names of the imported elements
    renames: tuple[tuple[str, str], ...] = ()  # (element's spec name, local name), imported

    def directive(self, name: str) -> str:
        """The local name of this spec's directive ``name`` (without ``@``)."""
        for original, local in self.renames:
            if original == name:
                return local
        return self.prefix if name == self.name else f"{self.prefix}__{name}"


@dataclass(frozen=True, slots=True)
class Links:
    """The Apollo specs a supergraph links, and the names they bring in."""

    features: tuple[LinkedFeature, ...]

    def prefix(self, spec: str) -> str:
        for feature in self.features:
            if feature.name == spec:
                return feature.prefix
        return spec

    def feature(self, spec: str) -> LinkedFeature | None:
        return next((f for f in self.features if f.name == spec), None)

    def version(self, spec: str) -> str | None:
        return next((f.version for f in self.features if f.name == spec), None)

    def machinery_directive(self, name: str) -> bool:
        """True for a directive that belongs to a linked Apollo spec (join, link, tag, …)."""
        for feature in self.features:
            if name == feature.prefix or name.startswith(feature.prefix + "__"):
                return True
            if name in feature.imports:
                return True
        return name in ("link", "core")

    def machinery_type(self, name: str) -> bool:
        return any(name.startswith(f.prefix + "__") for f in self.features)


def read_links(document: DocumentNode) -> Links:
    """Collect the `@link(url:, as:, import:)` (or fed1 `@core(feature:, as:)`) features."""
    features: list[LinkedFeature] = []
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value not in ("link", "core"):
                continue
            args = {
                a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()
            }
            url = args.get("url") or args.get("feature")
            match = _SPEC_URL.match(str(url or ""))
            if match is None:
                continue
            name = match.group("name")
            prefix = str(args.get("as") or name)
            imports = args.get("import")
            features.append(
                LinkedFeature(
                    name, match.group("version"), prefix, _imports(imports), _renames(imports)
                )
            )
    return Links(tuple(features))


def _imports(raw: object) -> tuple[str, ...]:
    names: list[str] = []
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, str):
            names.append(item.lstrip("@"))
        elif isinstance(item, dict):
            names.append(str(item.get("as") or item.get("name") or "").lstrip("@"))
    return tuple(names)


def _renames(raw: object) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, str):
            pairs.append((item.lstrip("@"), item.lstrip("@")))
        elif isinstance(item, dict) and item.get("name"):
            name = str(item["name"]).lstrip("@")
            pairs.append((name, str(item.get("as") or name).lstrip("@")))
    return tuple(pairs)
