"""GraphiQL served by the router: the page, its offline assets, its examples and plan view."""

from __future__ import annotations

from router.config import RouterConfig
from router.server.graphiql.examples import load_examples
from router.server.graphiql.page import GraphiQLPage, graphiql_enabled, wants_html
from router.supergraph import Supergraph

__all__ = ["GraphiQLPage", "build_graphiql", "graphiql_enabled", "wants_html"]


def build_graphiql(config: RouterConfig, supergraph: Supergraph) -> GraphiQLPage | None:
    """The GraphiQL page for this router, or None when the configuration turns it off."""
    if not graphiql_enabled(config):
        return None
    subgraphs = [graph.name for graph in supergraph.graphs.values()]
    examples = load_examples(supergraph.api_schema)
    identities = [i.model_dump() for i in config.graphiql_identities] if config.dev else []
    return GraphiQLPage(examples, subgraphs, expose_plan=config.dev, identities=identities)
