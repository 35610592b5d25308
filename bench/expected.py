"""The expected response to body.json: the query run on the supergraph's API schema as one graph."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType, build_schema, graphql_sync

from bench.subgraphs.world import Record, World, shipping_estimate


def _product(world: World, upc: str) -> Record | None:
    product = world.product(upc)
    if product is None:
        return None
    return {
        **product,
        "inStock": world.in_stock.get(upc),
        "shippingEstimate": shipping_estimate(product.get("price"), product.get("weight")),
    }


def expected_response(supergraph_sdl: str, body: Record, world: World) -> Record:
    """Execute ``body`` without federation: the answer every gateway must give, as JSON."""
    schema = build_schema(supergraph_sdl)  # join/link directives are defined in the file
    users = list(world.users.values())
    resolvers: dict[tuple[str, str], Any] = {
        ("Query", "me"): lambda _o, _i: users[0],
        ("Query", "user"): lambda _o, _i, id: world.user(str(id)),
        ("Query", "users"): lambda _o, _i: users,
        ("Query", "topProducts"): lambda _o, _i, first=5: [
            _product(world, p["upc"]) for p in world.top_products(first)
        ],
        ("User", "reviews"): lambda o, _i: world.reviews_of_user(o["id"]),
        ("Review", "author"): lambda o, _i: world.author_of(o),
        ("Review", "product"): lambda o, _i: _product(world, o["product"]["upc"]),
        ("Product", "reviews"): lambda o, _i: world.reviews_of_product(o["upc"]),
    }
    for (type_name, field_name), resolve in resolvers.items():
        owner = schema.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType)
        owner.fields[field_name].resolve = resolve
    result = graphql_sync(
        schema,
        body["query"],
        variable_values=body.get("variables"),
        operation_name=body.get("operationName"),
    )
    return dict(result.formatted)
