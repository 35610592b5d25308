"""GraphQL subscriptions through the router: client transports, subgraph streams, limits."""
