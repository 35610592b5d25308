"""Merge validated subgraphs into a supergraph, one module per rule family."""
