"""The benchmark's four federation subgraphs: accounts, products, reviews, inventory."""
