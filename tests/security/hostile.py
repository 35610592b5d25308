"""What every hostile request must get from a subgraph: no 5xx, and a code on each error."""

from __future__ import annotations

from typing import Any

import httpx


def check_answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of ``response``, after checking it is a coded client error at worst."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    body: dict[str, Any] = response.json()
    assert isinstance(body, dict), body
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str), error
        assert code, error
        assert code != "INTERNAL_SERVER_ERROR", error
    return body


def post(http: httpx.Client, url: str, query: str, variables: Any = None) -> dict[str, Any]:
    return check_answer(http.post(f"{url}/graphql", json={"query": query, "variables": variables}))


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]
