"""The router's ASGI app: GraphQL over HTTP and health."""
