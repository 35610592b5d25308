"""Identity and authorization: JWT bearer tokens, access directives, tokens for subgraphs."""
