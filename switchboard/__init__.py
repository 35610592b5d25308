"""Switchboard: a payment processor's federated GraphQL API."""
