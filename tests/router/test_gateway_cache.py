"""A repeated operation does no parsing, validation or planning: one cache lookup."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import router.gateway as gateway_module
from router.executor.fetcher import FetchResult
from router.gateway import Gateway
from router.request import GraphQLRequest
from router.supergraph import load_supergraph

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"


class StaticFetcher:
    async def fetch(
        self,
        service: str,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        mutation: bool = False,
    ) -> FetchResult:
        return FetchResult(data={"plans": [{"code": "starter"}]})


async def test_second_request_skips_parse_validate_and_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = Gateway(load_supergraph(SUPERGRAPH.read_text()), StaticFetcher())
    calls: dict[str, int] = {"parse": 0, "validate": 0, "plan_operation": 0}
    for name in calls:
        original = getattr(gateway_module, name)

        def counting(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls[_name] += 1
            return _original(*args, **kw)

        monkeypatch.setattr(gateway_module, name, counting)
    request = GraphQLRequest(query="{ plans { code } }")
    first = await gateway.execute(request)
    second = await gateway.execute(request)
    assert first.body == second.body == {"data": {"plans": [{"code": "starter"}]}}
    assert calls == {"parse": 1, "validate": 1, "plan_operation": 1}
    assert gateway.operations.hits == 1


def test_cache_is_bounded() -> None:
    gateway = Gateway(load_supergraph(SUPERGRAPH.read_text()), StaticFetcher(), cache_size=2)
    for code in ("a", "b", "c"):
        gateway.prepare(f'{{ plan(id: "{code}") {{ id }} }}', None)
    assert len(gateway.operations) == 2
