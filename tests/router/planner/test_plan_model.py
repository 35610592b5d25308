"""The plan model's printer and JSON form, on plans built by hand."""

from __future__ import annotations

from router.planner import (
    ConditionNode,
    FetchNode,
    Field,
    FlattenNode,
    InlineFragment,
    ParallelNode,
    QueryPlan,
    SequenceNode,
    plan_to_json,
    print_plan,
)
from router.planner.plan import KeyRenamer, ValueSetter

ROOT = FetchNode("a", "query($x: Int) { t(x: $x) { __typename id } }", variable_usages=("x",))
ENTITY = FetchNode(
    "b",
    "query($representations: [_Any!]!) { _entities(representations: $representations) "
    "{ ... on T { f } } }",
    requires=(InlineFragment("T", (Field("__typename"), Field("id"))),),
    input_rewrites=(ValueSetter(("... on T", "__typename"), "T"),),
    output_rewrites=(KeyRenamer(("g",), "f"),),
    id=1,
)
PLAN = QueryPlan(
    SequenceNode(
        (
            ROOT,
            ParallelNode(
                (
                    FlattenNode(("t", "@"), ENTITY),
                    ConditionNode("c", FlattenNode(("t",), ENTITY), None),
                    ConditionNode("d", None, ROOT),
                    ConditionNode("e", ROOT, ROOT),
                )
            ),
        )
    )
)


def test_print_plan() -> None:
    text = print_plan(PLAN)
    assert text.startswith('QueryPlan {\n  Sequence {\n    Fetch(service: "a") {')
    assert "      query ($x: Int) {\n        t(x: $x) {" in text
    assert 'Flatten(path: "t.@") {' in text
    assert (
        "          {\n            ... on T {\n              __typename\n              id\n" in text
    )
    assert (
        "            }\n          } =>\n          {\n            ... on T {\n              f"
        in text
    )
    assert "Include(if: $c) {" in text
    assert "Skip(if: $d) {" in text
    assert "} Else {" in text


def test_empty_plan() -> None:
    assert print_plan(QueryPlan(None)) == "QueryPlan {\n}"
    assert plan_to_json(QueryPlan(None)) == {"kind": "QueryPlan", "node": None}


def test_plan_to_json_uses_apollo_names() -> None:
    node = plan_to_json(PLAN)["node"]
    assert node["kind"] == "Sequence"
    fetch, parallel = node["nodes"]
    assert fetch == {
        "kind": "Fetch",
        "serviceName": "a",
        "variableUsages": ["x"],
        "operation": ROOT.operation,
        "operationKind": "query",
    }
    flatten, include, skip, both = parallel["nodes"]
    assert flatten["path"] == ["t", "@"]
    entity = flatten["node"]
    assert entity["requires"] == [
        {
            "kind": "InlineFragment",
            "typeCondition": "T",
            "selections": [
                {"kind": "Field", "name": "__typename"},
                {"kind": "Field", "name": "id"},
            ],
        }
    ]
    assert entity["inputRewrites"] == [
        {"kind": "ValueSetter", "path": ["... on T", "__typename"], "setValueTo": "T"}
    ]
    assert entity["outputRewrites"] == [{"kind": "KeyRenamer", "path": ["g"], "renameKeyTo": "f"}]
    assert entity["id"] == 1
    assert include["condition"] == "c"
    assert include["elseClause"] is None
    assert skip["ifClause"] is None
    assert both["ifClause"]["kind"] == both["elseClause"]["kind"] == "Fetch"


def test_selection_model() -> None:
    field = Field("id", alias="key", selections=(Field("x"),))
    assert field.response_name == "key"
    assert Field("id").response_name == "id"
    assert ENTITY.is_entity_fetch
    assert not ROOT.is_entity_fetch
