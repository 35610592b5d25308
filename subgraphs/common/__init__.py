"""subgraphs/common package."""
