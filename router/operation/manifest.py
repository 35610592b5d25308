"""Trusted documents: persisted query lists in Apollo's manifest format, read and written.

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "<sha256 of body>", "name": "Op", "type": "query", "body": "…"}]}

``extract`` builds one from `.graphql` files: every operation becomes one entry whose body
is the operation and the fragments it uses, printed canonically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
    visit,
)
from graphql.language import Visitor

FORMAT = "apollo-persisted-query-manifest"


class ManifestError(Exception):
    """A manifest or an operation file that cannot be used; the message says where."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """Operation bodies by id, and the set of bodies (for clients that send the text)."""

    bodies: Mapping[str, str]

    @property
    def texts(self) -> frozenset[str]:
        return frozenset(self.bodies.values())

    def __len__(self) -> int:
        return len(self.bodies)


def load_manifest(path: Path) -> Manifest:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read the persisted query list: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != 1:
        raise ManifestError(f"{path}: not an {FORMAT} version 1")
    bodies: dict[str, str] = {}
    for index, entry in enumerate(data.get("operations") or []):
        body = entry.get("body") if isinstance(entry, dict) else None
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(body, str) or not isinstance(ident, str):
            raise ManifestError(f"{path}: operations[{index}] needs a string id and body")
        bodies[ident.lower()] = body
    return Manifest(bodies)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def extract(files: Iterable[Path], schema: GraphQLSchema | None = None) -> dict[str, Any]:
    """A manifest of every operation in ``files`` (validated against ``schema`` if given)."""
    operations: dict[str, dict[str, str]] = {}
    for path in files:
        document = _read(path)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if definition.name is None:
                raise ManifestError(f"{path}: name every operation (a manifest lists them by name)")
            body = _body(definition, fragments)
            if schema is not None:
                errors = validate(schema, parse(body))
                if errors:
                    raise ManifestError(f"{path}: {definition.name.value}: {errors[0].message}")
            name = definition.name.value
            if name in operations and operations[name]["body"] != body:
                raise ManifestError(f"{path}: a different operation named {name} exists")
            operations[name] = {
                "id": sha256(body),
                "name": name,
                "type": definition.operation.value,
                "body": body,
            }
    listed = [operations[name] for name in sorted(operations)]
    return {"format": FORMAT, "version": 1, "operations": listed}


def _read(path: Path) -> DocumentNode:
    try:
        return parse(path.read_text())
    except OSError as exc:
        raise ManifestError(f"{path}: {exc.strerror or exc}") from None
    except Exception as exc:  # a GraphQLSyntaxError, with its location
        raise ManifestError(f"{path}: {exc}") from None


def _body(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> str:
    used: dict[str, FragmentDefinitionNode] = {}
    pending = [operation]
    while pending:
        for name in _spreads(pending.pop()):
            if name not in used and name in fragments:
                used[name] = fragments[name]
                pending.append(fragments[name])  # type: ignore[arg-type]
    parts = [print_ast(operation), *(print_ast(used[name]) for name in sorted(used))]
    return "\n\n".join(parts)


def _spreads(node: Any) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.add(spread.name.value)

    visit(node, Spreads())
    return names
