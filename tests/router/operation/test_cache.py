"""A repeated operation does no parsing, validation or planning: one cache lookup."""

from __future__ import annotations

from typing import Any

import pytest

import router.operation.plan as plan_module
import router.operation.store as store_module
from router.gateway import Gateway
from router.supergraph import load_supergraph
from tests.router.kit import SUPERGRAPH, StaticFetcher, ask


async def test_second_request_skips_parse_validate_and_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = Gateway(load_supergraph(SUPERGRAPH.read_text()), StaticFetcher())
    calls: dict[str, int] = {}
    for module, name in (
        (store_module, "parse_document"),
        (store_module, "enforce_limits"),
        (store_module, "validate_document"),
        (plan_module, "plan_operation"),
    ):
        calls[name] = 0
        original = getattr(module, name)

        def counting(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls[_name] += 1
            return _original(*args, **kw)

        monkeypatch.setattr(module, name, counting)
    first = await ask(gateway, "{ plans { code } }")
    second = await ask(gateway, "{ plans { code } }")
    assert first.body == second.body == {"data": {"plans": [{"code": "starter"}]}}
    expected = {"parse_document": 1, "enforce_limits": 1, "validate_document": 1}
    assert calls == {**expected, "plan_operation": 1}
    assert gateway.operations.hits == 1


async def test_cache_is_bounded() -> None:
    supergraph = load_supergraph(SUPERGRAPH.read_text())
    gateway = Gateway(supergraph, StaticFetcher(), settings=_settings(cache_size=2))
    for code in ("a", "b", "c"):
        await gateway.store.operation(f'{{ plan(id: "{code}") {{ id }} }}', None)
    assert len(gateway.operations) == 2


def _settings(cache_size: int) -> Any:
    from router.gateway import GatewaySettings

    return GatewaySettings(operation_cache_size=cache_size)
