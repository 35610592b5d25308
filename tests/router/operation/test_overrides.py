"""Progressive override: labels picked per request, deterministically; one plan per label set."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from router.executor.fetcher import FetchResult
from router.gateway import Gateway
from router.operation.overrides import OverridePolicy
from router.supergraph import load_supergraph, override_labels
from tests.router.kit import ask

CASE = Path(__file__).resolve().parents[2] / "differential" / "cases" / "override"
SUPERGRAPH = load_supergraph((CASE / "supergraph.graphql").read_text())
LABELS = frozenset({"percent(25)", "beta"})


def test_the_case_uses_a_percent_and_a_custom_label() -> None:
    assert override_labels(SUPERGRAPH) == LABELS


def test_percent_labels_follow_the_seeded_sequence() -> None:
    def share(seed: int) -> list[bool]:
        policy = OverridePolicy(LABELS, seed=seed)
        return ["percent(25)" in policy.labels_for({}) for _ in range(4000)]

    first = share(7)
    assert first == share(7)  # reproducible from the seed
    assert first != share(8)
    assert 900 < sum(first) < 1100  # about 25%
    assert not any("beta" in OverridePolicy(LABELS, seed=7).labels_for({}) for _ in range(50))


def test_key_header_keeps_each_user_on_one_side() -> None:
    policy = OverridePolicy(LABELS, seed=1, key_header="X-User")
    sides = {
        user: {"percent(25)" in policy.labels_for({"x-user": user}) for _ in range(5)}
        for user in (f"user-{n}" for n in range(400))
    }
    assert all(len(side) == 1 for side in sides.values())
    enabled = sum(side == {True} for side in sides.values())
    assert 60 < enabled < 140  # about 25% of 400 users


def test_forced_labels_win() -> None:
    policy = OverridePolicy(LABELS, forced={"beta": True, "percent(25)": False})
    assert all(policy.labels_for({}) == {"beta"} for _ in range(100))


class RecordingFetcher:
    def __init__(self) -> None:
        self.services: list[str] = []

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
        self.services.append(service)
        if "_entities" in query:
            reps = variables["representations"]
            return FetchResult(data={"_entities": [{"tier": f"{service}-{r['id']}"} for r in reps]})
        return FetchResult(
            data={"accounts": [{"__typename": "Account", "id": "a1", "tier": "legacy-a1"}]}
        )


async def test_gateway_plans_each_label_set_once() -> None:
    policy = OverridePolicy(LABELS, key_header="x-user")
    users = {"percent(25)" in policy.labels_for({"x-user": f"u{n}"}): f"u{n}" for n in range(50)}
    fetcher = RecordingFetcher()
    gateway = Gateway(SUPERGRAPH, fetcher, overrides=policy)
    query = "{ accounts { id tier } }"

    off = await ask(gateway, query, headers={"x-user": users[False]})
    assert off.body == {"data": {"accounts": [{"id": "a1", "tier": "legacy-a1"}]}}
    assert fetcher.services == ["legacy"]

    fetcher.services.clear()
    on = await ask(gateway, query, headers={"x-user": users[True]})
    assert on.body == {"data": {"accounts": [{"id": "a1", "tier": "crm-a1"}]}}
    assert fetcher.services == ["legacy", "crm"]

    await ask(gateway, query, headers={"x-user": users[True]})
    assert len(gateway.operations) == 1
    (cached,) = gateway.operations.values()
    assert len(cached.plans) == 2  # one plan per label set, reused
    assert gateway.operations.hits == 2
