"""@authenticated, @requiresScopes and @policy: the supergraph is Apollo's, byte for byte."""

from __future__ import annotations

import random
from typing import Any

import pytest

from schema.compose import SubgraphSource, compose
from schema.errors import CompositionFailed
from tests.schema.cases import Case, all_cases
from tests.schema.oracle import compose_many
from tests.schema.random_subgraphs import access_control

OLDER = {
    "access_control_directives",
    "access_control_propagates_to_interfaces",
    "authenticated_before_2_5",
    "authenticated_on_interface",
    "authenticated_on_interface_field",
    "policy_on_type_merged_by_dnf",
    "requires_scopes_merged_by_dnf",
    "requires_reaches_guarded_field",
}
# Errors this feature adds, whose wording we keep identical to Apollo's (other codes: same code)
OWN_CODES = {"AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE", "MISSING_TRANSITIVE_AUTH_REQUIREMENTS"}
ACCESS = [c for c in all_cases() if c.name.startswith("access_") or c.name in OLDER]
SETS = 150


def _case(name: str) -> Case:
    return next(c for c in ACCESS if c.name == name)


def test_there_are_cases_for_each_placement() -> None:
    assert len(ACCESS) >= 50
    assert len([c for c in ACCESS if c.expect == "success"]) >= 30


@pytest.mark.oracle
@pytest.mark.parametrize("case", ACCESS, ids=[c.name for c in ACCESS])
def test_supergraph_is_apollos_byte_for_byte(case: Case, apollo: dict[str, dict[str, Any]]) -> None:
    theirs = apollo[case.name]
    ours = _outcome(case.services())
    if "supergraphSdl" in theirs:
        assert ours == theirs["supergraphSdl"] + "\n"
    else:
        assert ours == _errors(theirs["errors"])


def test_supergraph_form_for_the_router() -> None:
    """The form router/supergraph reads (documented for the lead): one @link per spec used,
    for: SECURITY; the scalars; requirements as nested lists (OR of AND) on types, fields,
    scalars and enums."""
    sdl = compose(_case("access_everywhere").subgraphs)
    for line in (
        '  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
        '  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
        '  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
        "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
        "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION "
        "| OBJECT | INTERFACE | SCALAR | ENUM",
        "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT "
        "| INTERFACE | SCALAR | ENUM",
        "scalar requiresScopes__Scope",
        "scalar policy__Policy",
        "  p: P @authenticated",
        '  @requiresScopes(scopes: [["read:p"]])',
        '  name: String @policy(policies: [["p1"], ["p2", "p3"]])',
        "scalar Secret\n  @join__type(graph: A)\n  @authenticated",
    ):
        assert line in sdl, line


def test_renamed_imports_keep_their_names_in_the_supergraph() -> None:
    sdl = compose(_case("access_renamed_everywhere").subgraphs)
    assert (
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY, '
        'import: [{name: "@authenticated", as: "@auth"}])'
    ) in sdl
    assert "directive @scopes(scopes: [[requiresScopes__Scope!]!]!)" in sdl


def test_requirements_from_several_subgraphs_are_conjoined() -> None:
    """a: [[a] or [x]], b: [[b]] → [[a, b] or [b, x]]; @authenticated from c alone."""
    sdl = compose(_case("access_field_in_three").subgraphs)
    field = next(line for line in sdl.splitlines() if line.startswith("  f: Int"))
    assert '@requiresScopes(scopes: [["a", "b"], ["b", "x"]])' in field
    assert '@policy(policies: [["pb"]])' in field
    assert "@authenticated" in field


def _errors(errors: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(code, message) pairs; the message only for this feature's own codes."""
    return sorted((e["code"], e["message"] if e["code"] in OWN_CODES else "") for e in errors)


def _outcome(services: list[dict[str, str]]) -> str | list[tuple[str, str]]:
    try:
        return compose(SubgraphSource(s["name"], s["url"], s["sdl"]) for s in services)
    except CompositionFailed as failed:
        return _errors([{"code": e.code, "message": e.message} for e in failed.errors])


@pytest.mark.oracle
@pytest.mark.slow
def test_random_placements_match_apollo() -> None:
    rng = random.Random(5)
    batch = {f"set{i}": access_control(rng) for i in range(SETS)}
    apollo = compose_many(batch)
    composed = 0
    for name, services in batch.items():
        theirs = apollo[name]
        ours = _outcome(services)
        if "supergraphSdl" in theirs:
            assert ours == theirs["supergraphSdl"] + "\n", (name, services)
            composed += 1
        else:
            assert ours == _errors(theirs["errors"]), name
    assert composed >= SETS // 2
