"""The workloads beyond the gateways benchmark: big response, cold planning, varied traffic."""
