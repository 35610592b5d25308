"""Our own subgraphs compose, agree with Apollo, and the checked-in supergraph is current."""

from __future__ import annotations

from typing import Any

import pytest

from schema.compose import SubgraphSource, compose
from tests.schema.oracle import normalise
from tests.schema.real import ROOT, URLS, real_services


@pytest.mark.oracle
def test_real_subgraphs_agree_with_apollo(apollo: dict[str, dict[str, Any]]) -> None:
    services = real_services()
    if not services:
        pytest.fail("none of our subgraphs could be loaded")
    ours = compose(SubgraphSource(s["name"], s["url"], s["sdl"]) for s in services)
    assert "supergraphSdl" in apollo["_real"], apollo["_real"]
    assert normalise(ours) == normalise(apollo["_real"]["supergraphSdl"])


def test_checked_in_supergraph_is_current() -> None:
    exported = [ROOT / "schema" / "subgraphs" / f"{name}.graphql" for name in URLS]
    if not all(p.exists() for p in exported):
        pytest.fail("schema/subgraphs/*.graphql missing: run `switchboard export-sdl`")
    sources = [SubgraphSource(p.stem, URLS[p.stem], p.read_text()) for p in exported]
    current = ROOT / "schema" / "supergraph.graphql"
    assert current.exists(), "run `switchboard compose` and commit schema/supergraph.graphql"
    assert current.read_text() == compose(sources), (
        "schema/supergraph.graphql is stale: run `switchboard compose` and commit it"
    )
