"""Stage 4, parse: the query text → a GraphQL document, or GRAPHQL_PARSE_FAILED with locations.

The parser stops at ``max_tokens`` (MAX_TOKENS_LIMIT) and at its own nesting guard
(MAX_DEPTH_LIMIT), so a document's cost is bounded before it is even whole. Repeated
selections are merged right after parsing (``collapse``).
"""

from __future__ import annotations

from graphql import DocumentNode, GraphQLSyntaxError, parse

from router.errors import GRAPHQL_PARSE_FAILED, MAX_DEPTH_LIMIT, MAX_TOKENS_LIMIT, RouterError
from router.operation.collapse import collapse_document


def parse_document(query: str, max_tokens: int | None = None) -> DocumentNode:
    try:
        document = parse(query, max_tokens=max_tokens, allow_empty_selection_sets=False)
    except GraphQLSyntaxError as exc:
        locations = _locations(exc)
        if "tokens. Parsing aborted" in exc.message:
            message = f"The document has more than {max_tokens} tokens."
            raise RouterError(MAX_TOKENS_LIMIT, message, locations=locations) from None
        if "nested too deeply" in exc.message:
            message = "The document nests too deeply."
            raise RouterError(MAX_DEPTH_LIMIT, message, locations=locations) from None
        raise RouterError(GRAPHQL_PARSE_FAILED, exc.message, locations=locations) from None
    return collapse_document(document)


def _locations(error: GraphQLSyntaxError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]
