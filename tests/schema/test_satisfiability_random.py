"""Random subgraph sets: where Apollo composes, or fails only on satisfiability, so do we,
with the same error messages."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from schema.compose import SubgraphSource, compose
from schema.errors import CompositionFailed
from tests.schema.oracle import compose_many
from tests.schema.random_subgraphs import Services, abstract_types, entities_and_values

SATISFIABILITY = {"SATISFIABILITY_ERROR", "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES"}
SETS = 100


def _ours(services: Services) -> list[tuple[str, str]]:
    try:
        compose(SubgraphSource(s["name"], s["url"], s["sdl"]) for s in services)
    except CompositionFailed as failed:
        return sorted((e.code, e.message) for e in failed.errors)
    return []


@pytest.mark.oracle
@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "seed"), [(entities_and_values, 1), (abstract_types, 2)], ids=["values", "abstract"]
)
def test_verdicts_and_messages_match_apollo(
    family: Callable[[random.Random], Services], seed: int
) -> None:
    rng = random.Random(seed)
    batch = {f"set{i}": family(rng) for i in range(SETS)}
    apollo: dict[str, dict[str, Any]] = compose_many(batch)
    compared = unsatisfiable = 0
    for name, services in batch.items():
        theirs = sorted((e["code"], e["message"]) for e in apollo[name].get("errors", []))
        if not {code for code, _ in theirs} <= SATISFIABILITY:
            continue  # Apollo refuses it for another reason: not a satisfiability question
        ours = _ours(services)
        assert ours == theirs, (name, services)
        compared += 1
        unsatisfiable += bool(theirs)
    assert compared >= SETS // 2
    assert unsatisfiable >= SETS // 10
