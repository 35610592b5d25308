"""Flatten targets: the fast walk and the walk with paths visit the same objects in order."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from router.executor.targets import Targets, _objects_with_paths, objects_at

KEYS = ("a", "b")
leaf = st.one_of(st.none(), st.integers(0, 3))
trees = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=2)
    ),
    max_leaves=25,
)
paths = st.lists(st.sampled_from(("a", "b", "@")), max_size=4).map(tuple)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(root=st.dictionaries(st.sampled_from(KEYS), trees, max_size=2), path=paths)
def test_fast_walk_matches_the_walk_with_paths(root: dict[str, Any], path: tuple[str, ...]) -> None:
    fast = objects_at(root, path)
    slow = [obj for _, obj in _objects_with_paths(root, path)]
    assert [id(o) for o in fast] == [id(o) for o in slow]
    assert all(type(o) is dict for o in fast)


def test_paths_are_computed_only_when_asked() -> None:
    root = {"users": [{"id": 1, "posts": [{"n": 1}, None, [{"n": 2}]]}, None]}
    targets = Targets(root, ("users", "@", "posts", "@"))
    assert targets.objects == [{"n": 1}, {"n": 2}]
    assert targets.path_of(0) == ["users", 0, "posts", 0]
    assert targets.path_of(1) == ["users", 0, "posts", 2, 0]
    assert Targets(root, ()).path_of(0) == []
