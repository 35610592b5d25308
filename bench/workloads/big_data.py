"""The big-response workload's data: ~8 MB of nested lists and objects, built deterministically.

One subgraph (`catalog`) serves `catalog: [Section!]!`; each section has items, each item
tags and variants, with strings, floats and ints. The expected response is this data as
plain Python, built without GraphQL; the subgraph executes the query with graphql-core.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, build_schema

SUBGRAPH = "catalog"
SDL = """\
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@shareable"])

type Query {
  catalog: [Section!]!
}

type Section {
  id: ID!
  title: String!
  weight: Float!
  items: [Item!]!
}

type Item {
  id: ID!
  name: String!
  price: Float!
  quantity: Int!
  rating: Float
  tags: [String!]!
  variants: [Variant!]!
}

type Variant {
  sku: String!
  label: String!
  ratio: Float!
  stock: Int!
  available: Boolean!
}
"""
QUERY = """\
query BigResponse {
  catalog {
    id title weight
    items {
      id name price quantity rating tags
      variants { sku label ratio stock available }
    }
  }
}
"""
SECTIONS = 100
ITEMS_PER_SECTION = 106
VARIANTS_PER_ITEM = 5


def _variant(s: int, i: int, v: int) -> dict[str, Any]:
    n = (s * 7919 + i * 104729 + v * 1299709) % 1_000_003
    return {
        "sku": f"S{s:03d}-I{i:03d}-V{v}",
        "label": f"variant {v} of item {i} in section {s}",
        "ratio": round(n / 1_000_003 + 0.0001, 6),
        "stock": n % 997,
        "available": n % 3 != 0,
    }


def _item(s: int, i: int) -> dict[str, Any]:
    n = (s * 31 + i * 17) % 10_007
    return {
        "id": f"item-{s}-{i}",
        "name": f"Item number {i} of section {s}, a thing with a long enough name",
        "price": round(1.25 + n * 0.37, 2),
        "quantity": n,
        "rating": None if n % 11 == 0 else round((n % 50) / 10 + 0.05, 2),
        "tags": [f"tag-{(n + k) % 97}" for k in range(3)],
        "variants": [_variant(s, i, v) for v in range(VARIANTS_PER_ITEM)],
    }


def catalog(sections: int = SECTIONS, items: int = ITEMS_PER_SECTION) -> list[dict[str, Any]]:
    """The whole catalogue, in the order and shape `QUERY` selects it."""
    return [
        {
            "id": f"section-{s}",
            "title": f"Section {s}",
            "weight": round(s * 1.5 + 0.25, 2),
            "items": [_item(s, i) for i in range(items)],
        }
        for s in range(sections)
    ]


def expected_response() -> dict[str, Any]:
    return {"data": {"catalog": catalog()}}


def subgraph_schemas(
    sections: int = SECTIONS, items: int = ITEMS_PER_SECTION
) -> dict[str, GraphQLSchema]:
    """The `catalog` subgraph as graphql-core serves it (default resolvers over the dicts)."""
    schema = build_schema("scalar _Any\n" + SDL.split("\n", 2)[2])
    query = schema.query_type
    assert isinstance(query, GraphQLObjectType)
    query.fields["catalog"].resolve = lambda _o, _i: catalog(sections, items)
    return {SUBGRAPH: schema}
