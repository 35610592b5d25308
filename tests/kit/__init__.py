"""Synthetic-subgraph test kit: tiny subgraphs serving an SDL and static JSON data."""
