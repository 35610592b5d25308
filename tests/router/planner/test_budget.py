"""Issue 13's planning attacks: each plans within its budget, linearly, or is refused by it.

Linear behaviour is shown by counts (work units, normalised nodes, fetches), never by time.
"""

from __future__ import annotations

from functools import cache

import pytest
from graphql import parse, validate

from router.executor.shape import ResponseShaper
from router.planner import (
    BUDGET_EXCEEDED,
    PlanningBudget,
    PlanningBudgetExceeded,
    PlanningError,
    QueryPlan,
    plan_operation,
    print_plan,
)
from router.planner.budget import BudgetMeter
from router.supergraph import Supergraph, load_supergraph
from tests.router.planner.test_snapshots import _fetches
from tests.support.processes import ROOT

UNBOUNDED = PlanningBudget(max_seconds=600, max_work=10**9, max_nodes=10**9)
PRODUCTS = "products(first: 1) { nodes { id name } }"
ORDERS = "orders(first: 1) { nodes { id invoice { number } } }"


@cache
def _switchboard() -> Supergraph:
    return load_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())


def _plan(query: str, budget: PlanningBudget = UNBOUNDED) -> tuple[QueryPlan, BudgetMeter]:
    """Plan without validating: graphql-core's validation is the slow part of these (and
    aborts on hundreds of same-name fields); `test_attacks_are_valid` validates them small."""
    supergraph = _switchboard()
    document = parse(query, no_location=True)
    meter = BudgetMeter(budget)
    return plan_operation(supergraph, document, meter=meter), meter


def fan_out(levels: int, body: str = "__typename") -> str:
    """`{ ...F0 }`, each fragment spreading the next one twice (issue 13's first attack)."""
    parts = ["{ ...F0 }"]
    parts += [f"fragment F{i} on Query {{ {body} ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ {body} }}")
    return "\n".join(parts)


def wide_levels(depth: int, width: int) -> str:
    """`depth` levels of `width` spreads of the next fragment, over real fields."""
    parts = ["{ ...F0 }"]
    for i in range(depth):
        spreads = " ".join(f"...F{i + 1}" for _ in range(width))
        parts.append(f"fragment F{i} on Query {{ {ORDERS} {spreads} }}")
    parts.append(f"fragment F{depth} on Query {{ {PRODUCTS} }}")
    return "\n".join(parts)


def aliases(count: int, selection: str) -> str:
    return "{ " + " ".join(f"a{i}: {selection}" for i in range(count)) + " }"


def repeated(count: int, selection: str) -> str:
    return "{ " + " ".join(selection for _ in range(count)) + " }"


@pytest.mark.parametrize(
    "query",
    [
        fan_out(30),
        fan_out(3, f"__typename {PRODUCTS}"),
        wide_levels(3, 3),
        aliases(3, PRODUCTS),
        aliases(3, ORDERS),
        repeated(3, ORDERS),
    ],
)
def test_attacks_are_valid(query: str) -> None:
    assert validate(_switchboard().api_schema, parse(query)) == []


def test_fragment_fan_out_plans_like_its_expansion() -> None:
    plan, meter = _plan(fan_out(30))
    assert plan.node is None  # only the root __typename, which the router answers
    assert meter.work < 400
    body = f"__typename {PRODUCTS}"
    plan, meter = _plan(fan_out(30, body))
    expanded, _ = _plan("{ " + " ".join([body] * 31) + " }")
    assert print_plan(plan) == print_plan(expanded) == print_plan(_plan(f"{{ {body} }}")[0])


def test_fragment_fan_out_work_grows_linearly_with_levels() -> None:
    works = [_plan(fan_out(levels, f"__typename {PRODUCTS}"))[1].work for levels in (10, 20, 30)]
    assert works[2] - works[1] == works[1] - works[0]  # a constant cost per level
    assert works[2] < 60 * 30


def test_wide_levels_of_spreads_over_real_fields() -> None:
    plan, meter = _plan(wide_levels(8, 8))
    assert len(_fetches(plan.node)) == 2  # orders (with products), invoices
    assert meter.work < 2_000
    assert meter.nodes < 50


@pytest.mark.parametrize("selection", [PRODUCTS, ORDERS, "__typename"])
def test_aliases_cost_linear_work(selection: str) -> None:
    counts = [_plan(aliases(n, selection))[1] for n in (250, 500, 1000)]
    works = [m.work for m in counts]
    nodes = [m.nodes for m in counts]
    assert nodes[1] == 2 * nodes[0]
    assert nodes[2] == 2 * nodes[1]
    assert abs(works[2] - 2 * works[1]) <= works[0] // 50
    assert abs(works[1] - 2 * works[0]) <= works[0] // 50


def test_aliased_entity_jumps_fetch_once_per_alias() -> None:
    plan, _ = _plan(aliases(300, ORDERS))
    assert len(_fetches(plan.node)) == 301  # the root fetch, one invoices fetch per alias


def test_ten_thousand_aliases_are_refused_by_a_work_budget() -> None:
    budget = PlanningBudget(max_work=5_000)
    with pytest.raises(PlanningBudgetExceeded) as refused:
        _plan(aliases(10_000, PRODUCTS), budget)
    assert refused.value.code == BUDGET_EXCEEDED
    assert refused.value.limit == "work"
    assert isinstance(refused.value, PlanningError)


def test_same_name_fields_merge_into_one() -> None:
    one, single = _plan(repeated(1, ORDERS))
    many, meter = _plan(repeated(5_000, ORDERS))
    assert print_plan(many) == print_plan(one)
    assert meter.nodes == single.nodes
    half = _plan(repeated(2_500, ORDERS))[1]
    per_copy = (half.work - single.work) // 2_499  # each copy's selections, read once
    assert half.work == single.work + 2_499 * per_copy
    assert meter.work == single.work + 4_999 * per_copy


def recursive_fan_out(levels: int) -> str:
    """Two distinct response paths per level: 2^levels distinct selections."""
    parts = ["{ order(id: 1) { ...F0 } }"]
    for i in range(levels):
        inner = f"orders(first: 1) {{ nodes {{ id ...F{i + 1} }} }}"
        parts.append(
            f"fragment F{i} on Order {{ a: customer {{ {inner} }} b: customer {{ {inner} }} }}"
        )
    parts.append(f"fragment F{levels} on Order {{ id }}")
    return "\n".join(parts)


def test_exponential_expansion_is_refused_by_the_node_budget() -> None:
    budget = PlanningBudget(max_nodes=10_000)
    with pytest.raises(PlanningBudgetExceeded) as refused:
        _plan(recursive_fan_out(30), budget)
    assert refused.value.limit == "nodes"
    assert refused.value.code == "QUERY_PLANNING_BUDGET_EXCEEDED"
    small, meter = _plan(recursive_fan_out(4), budget)
    assert small.node is not None
    assert meter.nodes < 1_000


def test_the_clock_is_part_of_the_budget() -> None:
    with pytest.raises(PlanningBudgetExceeded) as refused:
        _plan(aliases(200, PRODUCTS), PlanningBudget(max_seconds=1e-9))
    assert refused.value.limit == "seconds"


def test_budget_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        PlanningBudget(max_work=0)


def test_shaper_generation_has_a_budget() -> None:
    supergraph = _switchboard()
    document = parse(aliases(200, "__typename"))
    operation = document.definitions[0]
    budget = PlanningBudget(max_work=100)
    shaper = ResponseShaper(supergraph.api_schema, operation, {}, None, budget)  # type: ignore[arg-type]
    errors: list[dict[str, object]] = []
    assert shaper.shape({}, {}, errors) is None  # type: ignore[arg-type]
    assert [e["extensions"] for e in errors] == [{"code": BUDGET_EXCEEDED}]
    roomy = ResponseShaper(supergraph.api_schema, operation, {}, None, PlanningBudget())  # type: ignore[arg-type]
    assert roomy.shape({}, {}, []) == {f"a{i}": "Query" for i in range(200)}


def test_shaper_compiles_fan_out_fragments_once() -> None:
    supergraph = _switchboard()
    document = parse(fan_out(30))
    operation = document.definitions[0]
    fragments = {d.name.value: d for d in document.definitions[1:]}  # type: ignore[attr-defined]
    shaper = ResponseShaper(supergraph.api_schema, operation, fragments, None, PlanningBudget())  # type: ignore[arg-type]
    assert shaper.shape({}, {}, []) == {"__typename": "Query"}
    meter = shaper.compiler.meter
    assert meter is not None
    assert meter.work < 200
