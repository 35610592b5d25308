"""Compare our plans with Apollo's query planner: same fetches, services and depth."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from router.planner import PlanningError, plan_operation, plan_to_json
from router.supergraph import Supergraph, load_supergraph
from tests.differential.gateways import for_apollo_gateway
from tests.router.planner.cases import ORACLE, UNSATISFIABLE, Case, all_cases, features
from tests.router.planner.contents import fetch_contents
from tests.router.planner.generate import RandomOperations, operations

SCRIPT = Path(__file__).parent / "oracle_plan.js"
CASES = all_cases()
# Apollo's planner takes seconds per operation and gigabytes on these supergraphs: their
# own case operations are compared, but not every generated operation.
TOO_SLOW_TO_EXPLORE = frozenset({"many_candidates"})
EXPLORED = [f for f in features() if f.name not in TOO_SLOW_TO_EXPLORE]
KNOWN_DIFFERENCES = Path(__file__).parent / "cases" / "known_differences.json"

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="module", autouse=True)
def _oracle_installed() -> None:
    if (
        shutil.which("node") is None
        or not (ORACLE / "node_modules" / "@apollo" / "query-planner").exists()
    ):
        pytest.fail("Apollo's query planner (tests/oracle) is not installed: run `make test`")


@cache
def _apollo_plans(feature: Path) -> dict[str, dict[str, Any]]:
    cases = [c for c in CASES if c.feature == feature]
    results = _run_apollo(
        (feature / "supergraph.graphql").read_text(), [c.operation for c in cases]
    )
    return {c.name: r for c, r in zip(cases, results, strict=True)}


def _run_apollo(supergraph_sdl: str, operations: list[str]) -> list[dict[str, Any]]:
    # Apollo's JS query planner refuses the authorization links `for: SECURITY` (its router
    # implements them, not the planner): plan the same supergraph with them as plain links.
    request = {"supergraphSdl": for_apollo_gateway(supergraph_sdl), "operations": operations}
    completed = subprocess.run(
        ["node", str(SCRIPT)], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    answer = json.loads(completed.stdout)
    assert "error" not in answer, answer.get("error")
    results: list[dict[str, Any]] = answer["results"]
    return results


def shape(node: dict[str, Any] | None) -> dict[str, Any]:
    """Fetch count, the services fetched (sorted) and the longest sequential chain."""
    if node is None:
        return {"fetches": 0, "services": [], "depth": 0}
    kind = node["kind"]
    if kind == "Fetch":
        return {"fetches": 1, "services": [node["serviceName"]], "depth": 1}
    if kind == "Flatten":
        return shape(node["node"])
    if kind == "Subscription":  # the primary (stream) fetch, then the rest per event
        children = [shape(node["primary"]), shape(node.get("rest"))]
        kind = "Sequence"
    elif kind == "Condition":
        children = [shape(node.get("ifClause")), shape(node.get("elseClause"))]
    else:
        children = [shape(child) for child in node["nodes"]]
    depths = [c["depth"] for c in children]
    return {
        "fetches": sum(c["fetches"] for c in children),
        "services": sorted(s for c in children for s in c["services"]),
        "depth": sum(depths) if kind == "Sequence" else max(depths, default=0),
    }


def _known() -> dict[str, str]:
    """Operation digest → why our plan differs from Apollo's (worse or just different)."""
    known: dict[str, str] = json.loads(KNOWN_DIFFERENCES.read_text())["operations"]
    return known


def _better(feature: Path) -> bool:
    """Features where our plans may differ only by being no larger and no deeper."""
    return feature.name in json.loads(KNOWN_DIFFERENCES.read_text())["better_than_apollo"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_plan_shape_matches_apollo(case: Case) -> None:
    apollo = _apollo_plans(case.feature)[case.name]
    try:
        planned = plan_operation(load_supergraph(case.supergraph), parse(case.operation))
    except PlanningError:  # refused (an unsatisfiable operation): Apollo's planner too
        assert case.feature.name in UNSATISFIABLE
        assert "error" in apollo or _digest(case.operation) in _known(), apollo["text"]
        return
    ours = plan_to_json(planned)
    if _digest(case.operation) in _known():
        return  # explained in known_differences.json
    assert "error" not in apollo, apollo["error"]
    theirs = shape(apollo["node"])
    if _better(case.feature):
        assert shape(ours["node"])["fetches"] <= theirs["fetches"], apollo["text"]
        assert shape(ours["node"])["depth"] <= theirs["depth"], apollo["text"]
    else:
        assert shape(ours["node"]) == theirs, apollo["text"]


def _generated(feature: Path) -> list[str]:
    supergraph = load_supergraph((feature / "supergraph.graphql").read_text())
    schema = supergraph.api_schema
    found = (o for o in operations(schema) if not validate(schema, parse(o)))
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("feature", EXPLORED, ids=[f.name for f in EXPLORED])
def test_generated_operations_match_apollo(feature: Path) -> None:
    """Every root field explored a few levels deep: same fetch shape as Apollo's plan."""
    ops = _generated(feature)
    supergraph = load_supergraph((feature / "supergraph.graphql").read_text())
    apollo = _run_apollo((feature / "supergraph.graphql").read_text(), ops)
    assert _unexplained_differences(supergraph, ops, apollo, _better(feature)) == []


RANDOM_PER_FEATURE = 20  # seeded; CI time (the generated operations cover every root field)


def _random_operations(feature: Path) -> list[str]:
    schema = load_supergraph((feature / "supergraph.graphql").read_text()).api_schema
    generator = RandomOperations(schema, seed=7)
    found = (generator.operation() for _ in range(RANDOM_PER_FEATURE))
    return [o for o in found if not validate(schema, parse(o))]


@pytest.mark.parametrize("feature", EXPLORED, ids=[f.name for f in EXPLORED])
def test_random_operations_match_apollo(feature: Path) -> None:
    """Seeded random operations (aliases, fragments, conditions): same shape as Apollo."""
    ops = _random_operations(feature)
    supergraph = load_supergraph((feature / "supergraph.graphql").read_text())
    apollo = _run_apollo((feature / "supergraph.graphql").read_text(), ops)
    assert _unexplained_differences(supergraph, ops, apollo, _better(feature)) == []


def _unexplained_differences(
    supergraph: Supergraph, ops: list[str], apollo: list[dict[str, Any]], better: bool
) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """Operations whose plan differs from Apollo's (shape, or what each fetch selects) and
    are not explained in known_differences.json."""
    known = _known()
    found = []
    for op, theirs in zip(ops, apollo, strict=True):
        try:
            plan = plan_to_json(plan_operation(supergraph, parse(op)))["node"]
        except PlanningError:  # refused: fine where Apollo's planner refuses too
            if "error" not in theirs and _digest(op) not in known:
                found.append((_digest(op), op, {"refused": True}, shape(theirs["node"])))
            continue
        if "error" in theirs:  # Apollo's planner could not plan it: explain it or fail
            if _digest(op) not in known:
                found.append((_digest(op), op, shape(plan), {"apollo_error": theirs["error"]}))
            continue
        ours, expected = shape(plan), shape(theirs["node"])
        same_fetches = fetch_contents(plan, supergraph.schema) == fetch_contents(
            theirs["node"], supergraph.schema
        )
        if (ours == expected and (better or same_fetches)) or _digest(op) in known:
            continue
        if better and ours["fetches"] <= expected["fetches"] and ours["depth"] <= expected["depth"]:
            continue
        found.append((_digest(op), op, ours, expected))
    return found


def _digest(operation: str) -> str:
    return hashlib.sha256(operation.encode()).hexdigest()[:12]
