"""Composition: subgraph SDLs in, an Apollo-compatible supergraph out; schema change checks."""
