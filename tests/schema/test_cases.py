"""Composition case folders: our outcome matches case.json, and Apollo's composition agrees."""

from __future__ import annotations

from typing import Any

import pytest

from schema.compose import compose
from schema.errors import CompositionFailed
from tests.schema.cases import Case, all_cases
from tests.schema.oracle import normalise

CASES = all_cases()


def _ours(case: Case) -> str | tuple[str, ...]:
    """Our supergraph SDL, or the sorted set of error codes."""
    try:
        return compose(case.subgraphs)
    except CompositionFailed as failed:
        return tuple(sorted({e.code for e in failed.errors}))


def test_there_are_enough_cases() -> None:
    assert len([c for c in CASES if c.expect == "success"]) >= 30
    assert len([c for c in CASES if c.expect != "success"]) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_outcome_matches_case_file(case: Case) -> None:
    ours = _ours(case)
    if case.expect == "success":
        assert not isinstance(ours, tuple), f"composition failed: {ours}"
    else:
        assert ours == tuple(sorted(case.expect))


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_agrees_with_apollo(case: Case, apollo: dict[str, dict[str, Any]]) -> None:
    theirs = apollo[case.name]
    ours = _ours(case)
    if case.deviation:
        # A deliberate difference: Apollo must still behave differently, or the case is stale.
        assert _summary(theirs) != ours, f"{case.name} no longer differs from Apollo"
        return
    if "supergraphSdl" in theirs:
        assert not isinstance(ours, tuple), f"Apollo composed {case.name}, we failed with {ours}"
        assert normalise(ours) == normalise(theirs["supergraphSdl"])
    else:
        assert ours == _summary(theirs), theirs["errors"]


def _summary(result: dict[str, Any]) -> str | tuple[str, ...]:
    if "supergraphSdl" in result:
        sdl: str = result["supergraphSdl"]
        return sdl
    return tuple(sorted({e["code"] for e in result["errors"]}))
