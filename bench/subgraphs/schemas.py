"""Executable graphql-core schemas of the four subgraphs, with `_entities`, over the world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, GraphQLUnionType, build_schema

from bench.subgraphs.world import Record, World, shipping_estimate

FEDERATION_SDL = """
scalar _Any
type _Service { sdl: String }
"""

SUBGRAPH_SDL: dict[str, str] = {
    "accounts": """
        type Query {
          me: User
          user(id: ID!): User
          users: [User]
          _entities(representations: [_Any!]!): [_Entity]!
          _service: _Service!
        }
        type User { id: ID! name: String username: String birthday: Int }
        union _Entity = User
    """,
    "products": """
        type Query {
          topProducts(first: Int = 5): [Product]
          _entities(representations: [_Any!]!): [_Entity]!
          _service: _Service!
        }
        type Product { upc: String! name: String price: Int weight: Int }
        union _Entity = Product
    """,
    "inventory": """
        type Query {
          _entities(representations: [_Any!]!): [_Entity]!
          _service: _Service!
        }
        type Product {
          upc: String! weight: Int price: Int inStock: Boolean shippingEstimate: Int
        }
        union _Entity = Product
    """,
    "reviews": """
        type Query {
          _entities(representations: [_Any!]!): [_Entity]!
          _service: _Service!
        }
        type Review { id: ID! body: String product: Product author: User }
        type User { id: ID! username: String reviews: [Review] }
        type Product { upc: String! reviews: [Review] }
        union _Entity = Review | User | Product
    """,
}

Resolver = Callable[..., Any]
EntityResolver = Callable[[World, Record], Record | None]


def _user(world: World, rep: Record) -> Record | None:
    return world.user(str(rep.get("id")))


def _product(world: World, rep: Record) -> Record | None:
    return world.product(str(rep.get("upc")))


def _inventory_product(world: World, rep: Record) -> Record | None:
    upc = str(rep.get("upc"))
    if upc not in world.in_stock:
        return None
    # price and weight are @external: they come in the representation (@requires).
    return {
        "upc": upc,
        "price": rep.get("price"),
        "weight": rep.get("weight"),
        "inStock": world.in_stock[upc],
    }


def _review_ref(world: World, rep: Record) -> Record | None:
    return next((r for r in world.reviews if r["id"] == str(rep.get("id"))), None)


def _reviews_user(world: World, rep: Record) -> Record | None:
    return {"id": str(rep.get("id"))}


def _reviews_product(world: World, rep: Record) -> Record | None:
    return {"upc": str(rep.get("upc"))}


ENTITY_RESOLVERS: dict[str, dict[str, EntityResolver]] = {
    "accounts": {"User": _user},
    "products": {"Product": _product},
    "inventory": {"Product": _inventory_product},
    "reviews": {"Review": _review_ref, "User": _reviews_user, "Product": _reviews_product},
}


def _field_resolvers(name: str, world: World) -> dict[tuple[str, str], Resolver]:
    users = list(world.users.values())
    if name == "accounts":
        return {
            ("Query", "me"): lambda _o, _i: users[0],
            ("Query", "user"): lambda _o, _i, id: world.user(str(id)),
            ("Query", "users"): lambda _o, _i: users,
        }
    if name == "products":
        return {("Query", "topProducts"): lambda _o, _i, first=5: world.top_products(first)}
    if name == "inventory":
        return {
            ("Product", "shippingEstimate"): lambda o, _i: shipping_estimate(
                o["price"], o["weight"]
            ),
        }
    return {
        ("Review", "author"): lambda o, _i: {
            "id": world.author_of(o)["id"],
            "username": world.author_of(o)["username"],  # @provides(fields: "username")
        },
        ("User", "reviews"): lambda o, _i: world.reviews_of_user(o["id"]),
        ("Product", "reviews"): lambda o, _i: world.reviews_of_product(o["upc"]),
    }


def build_subgraph_schema(name: str, world: World) -> GraphQLSchema:
    """The subgraph `name` as graphql-core would serve it, `_entities` included."""
    sdl = SUBGRAPH_SDL[name]
    schema = build_schema(FEDERATION_SDL + sdl)
    for (type_name, field_name), resolve in _field_resolvers(name, world).items():
        owner = schema.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType)
        owner.fields[field_name].resolve = resolve
    query = schema.query_type
    assert query is not None
    resolvers = ENTITY_RESOLVERS[name]

    def entities(_obj: object, _info: object, representations: list[Record]) -> list[Any]:
        found: list[Any] = []
        for rep in representations:
            entity = resolvers[rep["__typename"]](world, rep)
            found.append(None if entity is None else {**entity, "__typename": rep["__typename"]})
        return found

    query.fields["_entities"].resolve = entities
    query.fields["_service"].resolve = lambda _o, _i: {"sdl": sdl}
    union = schema.get_type("_Entity")
    assert isinstance(union, GraphQLUnionType)
    union.resolve_type = lambda obj, _info, _type: obj["__typename"]
    return schema
