"""Stage 3, parse: the query text → a GraphQL document, or GRAPHQL_PARSE_FAILED with locations."""

from __future__ import annotations

from graphql import DocumentNode, GraphQLSyntaxError, parse

from router.errors import GRAPHQL_PARSE_FAILED, RouterError


def parse_document(query: str) -> DocumentNode:
    try:
        return parse(query)
    except GraphQLSyntaxError as exc:
        raise RouterError(GRAPHQL_PARSE_FAILED, exc.message, locations=_locations(exc)) from None


def _locations(error: GraphQLSyntaxError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]
