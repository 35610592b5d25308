"""Execute query plans: fetch from subgraphs, merge, and shape the client's response."""
