"""Plan execution against a fake fetcher: batching, de-duplication, merging, failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.executor.fetcher import FetchResult
from router.executor.walker import execute_plan
from router.planner.plan import (
    ConditionNode,
    FetchNode,
    Field,
    FlattenNode,
    InlineFragment,
    ParallelNode,
    QueryPlan,
    SequenceNode,
)

USER_KEY = (InlineFragment("User", (Field("__typename"), Field("id"))),)


class FakeFetcher:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

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
        self.calls.append((service, variables))
        answer = self.answers[service]
        return answer(variables) if callable(answer) else answer


def entities(variables: dict[str, Any]) -> FetchResult:
    reps = variables["representations"]
    return FetchResult(data={"_entities": [{"name": f"user-{r['id']}"} for r in reps]})


async def test_root_then_entities_deduplicated_in_one_call() -> None:
    users = [{"__typename": "User", "id": i} for i in ("1", "2", "1", "3", "2")]
    fetcher = FakeFetcher(
        {
            "posts": FetchResult(data={"posts": [{"author": u} for u in users]}),
            "users": entities,
        }
    )
    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("posts", "{ posts { author { __typename id } } }"),
                FlattenNode(("posts", "@", "author"), FetchNode("users", "q", requires=USER_KEY)),
            )
        )
    )
    state = await execute_plan(plan, fetcher, {})
    assert [c[0] for c in fetcher.calls] == ["posts", "users"]
    assert fetcher.calls[1][1]["representations"] == [
        {"__typename": "User", "id": "1"},
        {"__typename": "User", "id": "2"},
        {"__typename": "User", "id": "3"},
    ]
    names = [p["author"]["name"] for p in state.data["posts"]]
    assert names == ["user-1", "user-2", "user-1", "user-3", "user-2"]


async def test_entity_errors_are_repathed_to_the_client_path() -> None:
    fetcher = FakeFetcher(
        {
            "posts": FetchResult(data={"posts": [{"author": {"__typename": "User", "id": "9"}}]}),
            "users": FetchResult(
                data={"_entities": [None]},
                errors=[
                    {
                        "message": "nope",
                        "path": ["_entities", 0, "name"],
                        "extensions": {"code": "NOT_FOUND"},
                    }
                ],
            ),
        }
    )
    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("posts", "q"),
                FlattenNode(("posts", "@", "author"), FetchNode("users", "q", requires=USER_KEY)),
            )
        )
    )
    state = await execute_plan(plan, fetcher, {})
    assert state.errors == [
        {
            "message": "nope",
            "path": ["posts", 0, "author", "name"],
            "extensions": {"code": "NOT_FOUND", "serviceName": "users"},
        }
    ]


async def test_failed_fetch_is_a_value_and_siblings_still_run() -> None:
    failure = {
        "message": "down",
        "extensions": {"code": "SUBREQUEST_HTTP_ERROR", "serviceName": "a"},
    }
    fetcher = FakeFetcher(
        {"a": FetchResult(data=None, failure=failure), "b": FetchResult(data={"b": 1})}
    )
    plan = QueryPlan(ParallelNode((FetchNode("a", "{ x: one two }"), FetchNode("b", "q"))))
    state = await execute_plan(plan, fetcher, {})
    assert state.data == {"b": 1}
    assert state.errors == [{**failure, "path": ["x"]}, {**failure, "path": ["two"]}]


async def test_objects_without_required_fields_are_not_sent() -> None:
    fetcher = FakeFetcher(
        {
            "posts": FetchResult(data={"posts": [{"author": None}, {"author": {"id": "1"}}]}),
            "users": entities,
        }
    )
    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("posts", "q"),
                FlattenNode(("posts", "@", "author"), FetchNode("users", "q", requires=USER_KEY)),
            )
        )
    )
    await execute_plan(plan, fetcher, {})
    assert [c[0] for c in fetcher.calls] == ["posts"]  # no representation: no request


async def test_condition_picks_branch_by_variable() -> None:
    fetcher = FakeFetcher({"a": FetchResult(data={"a": 1}), "b": FetchResult(data={"b": 2})})
    plan = QueryPlan(ConditionNode("go", FetchNode("a", "q"), FetchNode("b", "q")))
    assert (await execute_plan(plan, fetcher, {"go": True})).data == {"a": 1}
    assert (await execute_plan(plan, fetcher, {"go": False})).data == {"b": 2}


async def test_only_used_variables_are_sent() -> None:
    fetcher = FakeFetcher({"a": FetchResult(data={"a": 1})})
    plan = QueryPlan(FetchNode("a", "q", variable_usages=("x",)))
    await execute_plan(plan, fetcher, {"x": 1, "y": 2})
    assert fetcher.calls == [("a", {"x": 1})]


async def test_shared_root_null_does_not_erase_another_subgraphs_object() -> None:
    fetcher = FakeFetcher(
        {
            "a": FetchResult(data={"node": {"id": "1", "x": 1}}),
            "b": FetchResult(data={"node": None}),
        }
    )
    plan = QueryPlan(SequenceNode((FetchNode("a", "q"), FetchNode("b", "q"))))
    state = await execute_plan(plan, fetcher, {})
    assert state.data == {"node": {"id": "1", "x": 1}}


async def test_input_rewrites_turn_implementations_into_interface_objects() -> None:
    from router.planner.plan import ValueSetter

    requires = (InlineFragment("Book", (Field("__typename"), Field("id"))),)
    rewrite = ValueSetter(("... on Book", "__typename"), "Media")
    fetcher = FakeFetcher(
        {
            "a": FetchResult(data={"media": [{"__typename": "Book", "id": "b1"}]}),
            "b": lambda v: FetchResult(data={"_entities": [{"__typename": "Media", "rating": 5}]}),
        }
    )
    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("a", "q"),
                FlattenNode(
                    ("media", "@"),
                    FetchNode("b", "q", requires=requires, input_rewrites=(rewrite,)),
                ),
            )
        )
    )
    state = await execute_plan(plan, fetcher, {})
    assert fetcher.calls[1][1]["representations"] == [{"__typename": "Media", "id": "b1"}]
    assert state.data["media"][0] == {"__typename": "Book", "id": "b1", "rating": 5}
