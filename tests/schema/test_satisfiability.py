"""Satisfiability: our errors name the coordinates case.json expects, and say what Apollo says."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

from schema.compose import SubgraphSource, compose
from schema.errors import CompositionError, CompositionFailed
from schema.satisfiability import UnsupportedSupergraph, validate_satisfiability
from tests.schema.cases import Case, all_cases
from tests.schema.random_subgraphs import shared_entities

CODES = ("SATISFIABILITY_ERROR", "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES")
TESTS = Path(__file__).resolve().parents[1]
FOLDERS = sorted(
    p
    for root in (TESTS / "differential" / "cases", TESTS / "router" / "planner" / "cases")
    for p in root.iterdir()
    if (p / "subgraphs").is_dir()
)
SATISFIABILITY = [c for c in all_cases() if set(c.expect) & set(CODES)]
# Planner cases that are unsatisfiable on purpose: the planner must refuse them at run time, so
# their supergraphs are composed with satisfiability off (compose.json); our check must refuse them.
UNSATISFIABLE = {"unresolvable_interface_object"}


def _errors(case: Case) -> list[CompositionError]:
    try:
        compose(case.subgraphs)
    except CompositionFailed as failed:
        return [e for e in failed.errors if e.code in CODES]
    return []


def witness(message: str) -> str:
    """The example operation of a satisfiability message."""
    found = re.search(r"query:\n(.*?)\n *(?:cannot be satisfied|Shared field)", message, re.S)
    assert found, message
    return found.group(1)


def test_every_kind_has_a_case() -> None:
    assert len(SATISFIABILITY) >= 15
    assert len([c for c in all_cases() if c.name.startswith("satisfiability_")]) >= 30


@pytest.mark.parametrize("case", SATISFIABILITY, ids=[c.name for c in SATISFIABILITY])
def test_errors_name_the_unsatisfiable_coordinate(case: Case) -> None:
    errors = _errors(case)
    assert sorted({e.coordinate or "" for e in errors}) == sorted(case.coordinates)
    for e in errors:
        assert e.subgraphs, e
        assert "{" in witness(e.message)
        assert str(e).startswith(f"{e.code} [")


@pytest.mark.oracle
@pytest.mark.parametrize("case", SATISFIABILITY, ids=[c.name for c in SATISFIABILITY])
def test_messages_are_apollos(case: Case, apollo: dict[str, dict[str, Any]]) -> None:
    """Same example operations, hence the same coordinates, and the same reasons, verbatim."""
    theirs = [e["message"] for e in apollo[case.name]["errors"] if e["code"] in CODES]
    ours = [e.message for e in _errors(case)]
    assert sorted(map(witness, ours)) == sorted(map(witness, theirs))
    assert sorted(ours) == sorted(theirs)


@pytest.mark.parametrize("folder", FOLDERS, ids=[f"{p.parent.name}/{p.name}" for p in FOLDERS])
def test_router_case_folders_still_compose(folder: Path) -> None:
    sources = [
        SubgraphSource(p.stem, f"http://{p.stem}.test/graphql", p.read_text())
        for p in sorted((folder / "subgraphs").glob("*.graphql"))
    ]
    if folder.name in UNSATISFIABLE:
        with pytest.raises(CompositionFailed) as refused:
            compose(sources)
        assert {e.code for e in refused.value.errors} == {"SATISFIABILITY_ERROR"}
        return
    assert validate_satisfiability(compose(sources)) == []


def test_checked_in_supergraphs_are_satisfiable() -> None:
    """The supergraphs the planner tests load (composed by Apollo) pass our check too; the
    Federation 1 (join v0.1) supergraphs are refused as a format, not as unsatisfiable."""
    fed1 = []
    for folder in FOLDERS:
        sdl = (folder / "supergraph.graphql").read_text()
        if "specs.apollo.dev/join/v0.1" in sdl:
            with pytest.raises(UnsupportedSupergraph):
                validate_satisfiability(sdl)
            fed1.append(f"{folder.parent.parent.name}/{folder.name}")
            continue
        found = validate_satisfiability(sdl)
        if folder.name in UNSATISFIABLE:
            assert [e.code for e in found] == ["SATISFIABILITY_ERROR"], folder
            continue
        assert found == [], folder
    assert fed1 == ["differential/fed1", "planner/fed1"]


@pytest.mark.slow
def test_many_subgraphs_sharing_every_field_compose() -> None:
    """A deliberate difference: Apollo stops with MAX_VALIDATION_SUBGRAPH_PATHS_EXCEEDED on
    this shape (it keeps every duplicate subgraph path); we merge identical path states, so
    the check finishes and the supergraph composes."""
    services = shared_entities(random.Random(7))
    sdl = compose(SubgraphSource(s["name"], s["url"], s["sdl"]) for s in services)
    assert len(re.findall(r"^  S\d @join__graph\(name: ", sdl, re.M)) == 7
