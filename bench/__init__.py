"""Benchmarks: the router against the Node.js federation gateways (`make bench`)."""
