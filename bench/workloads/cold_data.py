"""The cold-planning workload: the planner's many-candidate supergraph, with data and queries.

Seven subgraphs, every type an entity keyed by `id`, every other field in 3 to 5 of them
(`tests/router/planner/many_candidates.py` generates them; the composed supergraph is
checked in beside its case). Every field is a pure function of the object's `id`, so every
subgraph that serves a field answers it the same way, and the expected response is the
query executed with graphql-core on the supergraph as one graph. `query_for(n)` is a new
deep document for every `n` (its own selections and operation name): no plan cache helps.
"""

from __future__ import annotations

import random
import zlib
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    get_named_type,
)

from bench.contenders import ROOT

CASE = ROOT / "tests" / "router" / "planner" / "cases" / "many_candidates"
SUPERGRAPH = CASE / "supergraph.graphql"
LIST_LENGTH = 2
QUERY_BYTES = 4_000
MAX_DEPTH = 6
FEDERATION_DEFINITIONS = """
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
scalar _Any
"""


def subgraph_names() -> list[str]:
    return sorted(p.stem for p in (CASE / "subgraphs").glob("*.graphql"))


def _scalar(field: str, object_id: str) -> int | str:
    if field == "score":
        return zlib.crc32(object_id.encode()) % 1000
    return f"{field}:{object_id}"


def _resolver(field_name: str, field: GraphQLField) -> Any:
    named = get_named_type(field.type)
    if not isinstance(named, GraphQLObjectType):
        if field_name == "id":
            return None  # the default resolver reads obj["id"]
        return lambda obj, _info: _scalar(field_name, obj["id"])
    inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if isinstance(inner, GraphQLList):
        return lambda obj, _info: [
            {"id": f"{obj['id']}.{field_name}{k}"} for k in range(LIST_LENGTH)
        ]
    return lambda obj, _info: {"id": f"{obj['id']}.{field_name}"}


def install_resolvers(schema: GraphQLSchema, type_names: list[str]) -> None:
    """Every field of every `T*` type (and Query) a function of the parent's id."""
    for name in type_names:
        owner = schema.get_type(name)
        assert isinstance(owner, GraphQLObjectType)
        for field_name, field in owner.fields.items():
            if field_name.startswith("_"):
                continue
            resolve = _resolver(field_name, field)
            if resolve is not None:
                field.resolve = resolve
    query = schema.query_type
    assert query is not None
    for field_name, field in query.fields.items():
        if not field_name.startswith("_"):
            resolve = _resolver(field_name, field)
            field.resolve = lambda _o, info, r=resolve: r({"id": "root"}, info)


def _types(schema: GraphQLSchema) -> list[str]:
    return sorted(n for n in schema.type_map if n.startswith("T") and n[1:].isdigit())


def subgraph_schema(name: str) -> GraphQLSchema:
    sdl = (CASE / "subgraphs" / f"{name}.graphql").read_text()
    body = "\n".join(line for line in sdl.splitlines() if not line.startswith("extend schema"))
    schema = build_schema(FEDERATION_DEFINITIONS + body)
    types = _types(schema)
    extended = build_schema(
        FEDERATION_DEFINITIONS
        + body.replace(
            "type Query {", "type Query {\n  _entities(representations: [_Any!]!): [_Entity]!", 1
        )
        + f"\nunion _Entity = {' | '.join(types)}\n"
    )
    install_resolvers(extended, types)
    query = extended.query_type
    assert query is not None
    query.fields["_entities"].resolve = lambda _o, _i, representations: [
        {"__typename": r["__typename"], "id": r["id"]} for r in representations
    ]
    union = extended.get_type("_Entity")
    assert isinstance(union, GraphQLUnionType)
    union.resolve_type = lambda obj, _info, _type: obj["__typename"]
    return extended


def subgraph_schemas() -> dict[str, GraphQLSchema]:
    return {name: subgraph_schema(name) for name in subgraph_names()}


def api_schema() -> GraphQLSchema:
    """The supergraph as one graph with the same field functions (for the expected answer)."""
    schema = build_schema(SUPERGRAPH.read_text())
    install_resolvers(schema, _types(schema))
    return schema


def query_for(n: int, schema: GraphQLSchema, size: int = QUERY_BYTES) -> str:
    """Document number ``n``: a deep query of about ``size`` bytes, its own for every ``n``."""
    rng = random.Random(n)
    query = schema.query_type
    assert query is not None
    lines = [f"query Cold{n} {{"]
    roots = [f for f in sorted(query.fields) if not f.startswith("_")]
    rng.shuffle(roots)
    for root in roots:
        if _length(lines) > size * 0.9:
            break
        lines.append(f"  {root} {{")
        target = get_named_type(query.fields[root].type)
        assert isinstance(target, GraphQLObjectType)
        _select(rng, target, 2, lines, size)
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _length(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _select(
    rng: random.Random, owner: GraphQLObjectType, depth: int, lines: list[str], size: int
) -> None:
    pad = "  " * depth
    scalars = [f for f, d in owner.fields.items() if not _is_object(d) and f != "id"]
    links = [f for f, d in owner.fields.items() if _is_object(d)]
    lines.append(f"{pad}id")
    for name in rng.sample(scalars, rng.randint(min(1, len(scalars)), len(scalars))):
        lines.append(f"{pad}{name}")
    if depth > MAX_DEPTH or not links:
        return
    for link in rng.sample(links, rng.randint(1, min(3, len(links)))):
        if _length(lines) > size * 0.92:
            return
        lines.append(f"{pad}{link} {{")
        target = get_named_type(owner.fields[link].type)
        assert isinstance(target, GraphQLObjectType)
        _select(rng, target, depth + 1, lines, size)
        lines.append(f"{pad}}}")


def _is_object(field: GraphQLField) -> bool:
    return isinstance(get_named_type(field.type), GraphQLObjectType)


def supergraph_path() -> Path:
    return SUPERGRAPH
