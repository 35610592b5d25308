"""Differential tests: our router against Apollo's gateway on the same supergraph and subgraphs."""
